/**
 * A dead database under a running `breakwater process` (the CLI from source, in a child process):
 * events are published steadily to the real Kafka while the real ClickHouse server is stopped for
 * ~15 s and started again. The processor must keep running, must not commit an offset whose event
 * is not stored (checked while the server is down: the processor is frozen with SIGSTOP, the server
 * started, and every event below the committed offsets looked up before the processor resumes),
 * and after recovery every published event_id is stored (distinct count, the rollup too).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { stringify } from 'yaml';
import { PipelineSchema } from '../../../src/config/pipeline.js';
import { TOPICS } from '../../../src/bus/bus.js';
import { eventKey } from '../../../src/haproxy/event.js';
import { event } from '../../unit/detect/traffic.js';
import { clickhouseUrl, kafkaBrokers, uniqueName } from '../../support/services.js';
import { dropTestResources } from '../../support/cleanup.js';
import { startService, stopService } from '../../support/service-control.js';

const ENTRY = join(import.meta.dirname, '../ship/cli-entry.ts');
const PARTITIONS = 2;
const PER_TICK = 20; // per partition, every 100 ms: 400 events/s
const dir = mkdtempSync(join(tmpdir(), 'bw-store-outage-'));
const prefix = `${uniqueName('bw_outage')}.`;
const topic = prefix + TOPICS.events;
const database = uniqueName('bw_outage');
const group = uniqueName('bw_outage');
let brokers: string[] = [];
let chUrl = '';

after(async () => {
  await dropTestResources({ brokers, topicPrefix: prefix, clickhouseUrl: chUrl, database });
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Publishes PER_TICK events per partition every 100 ms until stopped; remembers each event's offset. */
class SteadyPublisher {
  /** partition → event ids in offset order, from the partition's first offset. */
  readonly byPartition = new Map<number, { base: number; ids: string[] }>();
  count = 0;
  private running = true;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly producer: Producer) {}

  start(): void {
    this.loop = (async () => {
      while (this.running) {
        for (let p = 0; p < PARTITIONS; p++) {
          const events = Array.from({ length: PER_TICK }, () => {
            const id = `outage-${this.count++}`;
            return { id, e: { ...event(Date.now(), { server: `s${p}` }), event_id: id } };
          });
          const [meta] = await this.producer.send({ topic, messages: events.map(({ e }) => ({ partition: p, key: eventKey(e), value: JSON.stringify(e) })) });
          const slot = this.byPartition.get(p) ?? { base: Number(meta!.baseOffset), ids: [] };
          assert.equal(slot.base + slot.ids.length, Number(meta!.baseOffset), 'one producer per partition: offsets follow each other');
          slot.ids.push(...events.map(({ id }) => id));
          this.byPartition.set(p, slot);
        }
        await sleep(100);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** Committed offset (next to read) per partition; -1 when none yet. */
async function committed(admin: Admin): Promise<Map<number, number>> {
  const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return new Map(t!.partitions.map((p) => [p.partition, Number(p.offset)]));
}

async function distinctStored(ch: ClickHouseClient): Promise<{ raw: number; distinct: number; rollup: number }> {
  const rs = await ch.query({
    query: `SELECT (SELECT count() FROM ${database}.haproxy_events) AS raw, (SELECT count(DISTINCT event_id) FROM ${database}.haproxy_events) AS distinct,
      (SELECT sum(n) FROM (SELECT uniqExactMerge(events) AS n FROM ${database}.haproxy_rollup_1m GROUP BY minute, host, frontend, backend, server, status_class, termination_state, conn_failure, server_error, retried)) AS rollup`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ raw: string; distinct: string; rollup: string }>();
  return { raw: Number(row!.raw), distinct: Number(row!.distinct), rollup: Number(row!.rollup) };
}

test('ClickHouse stopped for 15 s under a running processor: it waits, commits nothing unstored, and stores every event after recovery', { timeout: 120_000 }, async () => {
  [brokers, chUrl] = await Promise.all([kafkaBrokers(), clickhouseUrl()]);
  const pipeline = PipelineSchema.parse({
    name: 'store-outage',
    bus: { type: 'kafka', kafka: { topic_prefix: prefix, partitions: PARTITIONS, linger_ms: 5 } },
    store: { database, batch_ms: 200, retry_initial_ms: 100, retry_max_ms: 1000 },
    detector: { state_save_interval_s: 1 },
    http: { port: 0 },
  });
  const path = join(dir, 'pipeline.yaml');
  writeFileSync(path, stringify(pipeline));
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
  const ch = createClient({ url: chUrl });

  const env = { ...process.env, KAFKA_BROKERS: brokers.join(','), CLICKHOUSE_URL: chUrl, LOG_LEVEL: 'info' };
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'process', '-c', path, '--group', group, '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const exited = once(child, 'exit');
  const publisher = new SteadyPublisher(producer);
  let clickhouseDown = false;
  let frozen = false;
  try {
    const started = Date.now();
    while (!stderr.includes('"msg":"processor started"')) {
      assert.ok(Date.now() - started < 30_000, `processor did not start in 30 s:\n${stderr}`);
      await sleep(100);
    }
    publisher.start();
    await sleep(5000);
    const before = await distinctStored(ch);
    assert.ok(before.distinct > 0, 'events were stored before the outage');

    await stopService('clickhouse');
    clickhouseDown = true;
    await sleep(14_000);
    assert.equal(child.exitCode, null, `the processor kept running while the database was down:\n${stderr}`);
    assert.match(stderr, /store: insert failed; retrying/, 'inserts failed and were retried');

    // Freeze the processor, then look at what it committed against what the server holds.
    child.kill('SIGSTOP');
    frozen = true;
    const offsets = await committed(admin);
    await startService('clickhouse');
    clickhouseDown = false;
    const stored = new Set((await (await ch.query({ query: `SELECT DISTINCT event_id FROM ${database}.haproxy_events`, format: 'JSONEachRow' })).json<{ event_id: string }>()).map((r) => r.event_id));
    child.kill('SIGCONT');
    frozen = false;
    let covered = 0;
    for (const [partition, { base, ids }] of publisher.byPartition) {
      const below = (offsets.get(partition) ?? -1) - base;
      const unstored = ids.slice(0, Math.max(0, below)).filter((id) => !stored.has(id));
      assert.deepEqual(unstored.slice(0, 10), [], `partition ${partition}: committed offset ${offsets.get(partition)} covers events not in the store`);
      covered += Math.max(0, below);
    }
    assert.ok(covered > 0, `offsets were committed before the outage (${JSON.stringify([...offsets])})`);
    assert.ok(covered < publisher.count, 'the events published during the outage were not committed');

    await sleep(3000); // publishing goes on after the recovery
    await publisher.stop();
    const N = publisher.count;
    const deadline = Date.now() + 40_000;
    let seen = await distinctStored(ch);
    while (seen.distinct < N || seen.rollup < N) {
      assert.ok(Date.now() < deadline, `not every event was stored after the recovery: ${JSON.stringify(seen)} of ${N}\n${stderr}`);
      await sleep(500);
      seen = await distinctStored(ch);
    }
    assert.equal(seen.distinct, N, 'every published event_id is stored, once after dedupe');
    assert.equal(seen.rollup, N, 'the rollup counts each event once (uniqExactMerge)');
    assert.ok(seen.raw >= N);
    // And it commits again: the group catches up with the end of the topic.
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    for (;;) {
      const now = await committed(admin);
      if ([...ends].every(([p, high]) => now.get(p) === high)) break;
      assert.ok(Date.now() < deadline + 15_000, `offsets not committed to the end after recovery: ${JSON.stringify([...now])} vs ${JSON.stringify([...ends])}`);
      await sleep(500);
    }
    assert.equal(child.exitCode, null, 'the processor is still running');
  } finally {
    await publisher.stop().catch(() => undefined);
    if (frozen) child.kill('SIGCONT');
    if (clickhouseDown) await startService('clickhouse');
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 30_000).unref(); // a processor that does not stop fails the test, not hangs it
    await Promise.all([admin.disconnect(), producer.disconnect(), ch.close()]);
  }
  const [code] = await exited;
  assert.equal(code, 0, stderr);
});
