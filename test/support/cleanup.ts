import { Kafka, logLevel } from 'kafkajs';
import { createClient } from '@clickhouse/client';

/** After a test on the shared services: deletes its Kafka topics (by prefix) and its ClickHouse database. */
export async function dropTestResources(opts: { brokers?: string[]; topicPrefix?: string; clickhouseUrl?: string; database?: string }): Promise<void> {
  if (opts.brokers?.length && opts.topicPrefix) {
    const admin = new Kafka({ brokers: opts.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(opts.topicPrefix!));
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
  if (opts.clickhouseUrl && opts.database) {
    const ch = createClient({ url: opts.clickhouseUrl });
    await ch.command({ query: `DROP DATABASE IF EXISTS ${opts.database}` });
    await ch.close();
  }
}
