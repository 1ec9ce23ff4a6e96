// Proves Kafka is real: 10 k keyed messages through a 3-partition topic with kafkajs, all consumed once,
// spread over the three partitions, in order per key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { kafkaBrokers, uniqueName } from '../../support/services.js';

const MESSAGES = 10_000;
const KEYS = 50;

test('kafka: 10k messages produced and consumed through a 3-partition topic', async (t) => {
  const kafka = new Kafka({ clientId: 'breakwater-smoke', brokers: await kafkaBrokers(), logLevel: logLevel.ERROR });
  const topic = uniqueName('smoke_kafka');
  const groupId = uniqueName('smoke_group');
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId });
  t.after(async () => {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined); // absent when the test failed early
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  await admin.connect();
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }), true);

  await producer.connect();
  for (let start = 0; start < MESSAGES; start += 1000) {
    const messages = [];
    for (let i = start; i < start + 1000; i++) messages.push({ key: `key${i % KEYS}`, value: JSON.stringify({ i }) });
    await producer.send({ topic, messages });
  }

  const offsets = await admin.fetchTopicOffsets(topic);
  assert.equal(offsets.length, 3);
  assert.equal(offsets.reduce((sum, p) => sum + Number(p.high), 0), MESSAGES);
  for (const p of offsets) assert.ok(Number(p.high) > 0, `partition ${p.partition} got no messages`);

  const seen = new Set<number>();
  const lastByKey = new Map<string, number>();
  let outOfOrder = 0;
  let duplicates = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const allConsumed = new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const { i } = JSON.parse(m.value!.toString()) as { i: number };
          const key = m.key!.toString();
          if (seen.has(i)) duplicates++;
          seen.add(i);
          if ((lastByKey.get(key) ?? -1) > i) outOfOrder++;
          lastByKey.set(key, i);
        }
        if (seen.size >= MESSAGES) resolve();
      },
    });
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`consumed ${seen.size} of ${MESSAGES} messages in 60 s`)), 60_000);
  });
  await Promise.race([allConsumed, timeout]).finally(() => clearTimeout(timer));

  assert.equal(seen.size, MESSAGES);
  assert.equal(duplicates, 0);
  assert.equal(outOfOrder, 0);
});
