// Kafka mode (real Kafka + ClickHouse server): an incident repaired by one processor and not
// resolved when it stops is escalated exactly once by the processors that take over its
// partitions, the one owning its series' partition after their rebalance.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { KafkaSchema } from '../../../src/config/bus.js';
import { eventKey, type HaproxyEvent } from '../../../src/haproxy/event.js';
import { Processor } from '../../../src/process/processor.js';
import { BusStateStore } from '../../../src/process/state.js';
import { openStore } from '../../../src/store/open.js';
import type { SqlStore } from '../../../src/store/sql-store.js';
import { RepairDispatcher } from '../../../src/repair/dispatcher.js';
import { PartitionRecoveries } from '../../../src/repair/pending.js';
import { pipeline } from '../../unit/repair/fixtures.js';
import { rng, traffic } from '../../unit/detect/traffic.js';
import { clickhouseUrl, kafkaBrokers, uniqueName } from '../../support/services.js';
import { dropTestResources } from '../../support/cleanup.js';

const brokers = await kafkaBrokers();
const chUrl = await clickhouseUrl();
const env = { KAFKA_BROKERS: brokers.join(','), CLICKHOUSE_URL: chUrl };
const prefix = uniqueName('bw_precov');
const database = uniqueName('bw_precov');
const dir = mkdtempSync(join(tmpdir(), 'bw-precov-'));
const closers: Array<() => Promise<unknown>> = [];

// The webhook receiver: counts escalations.
const escalations: string[] = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    if (body.includes('"escalation"')) escalations.push(body);
    res.end('ok');
  });
});
receiver.listen(0, '127.0.0.1');
await once(receiver, 'listening');
const hookEnv = { ...process.env, BW_TEST_ESCALATION_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/` };

after(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  receiver.close();
  await dropTestResources({ brokers, topicPrefix: prefix, clickhouseUrl: chUrl, database });
  rmSync(dir, { recursive: true, force: true });
});

const DEADLINE_S = 15;
const pipe = pipeline({
  detector: { resolve_after_s: 20, idle_advance_after_s: 0 },
  hooks: {
    dry_run: false,
    diagnostics: { enabled: false },
    verify: { deadline_s: DEADLINE_S },
    repair: [{ name: 'restart', type: 'exec', argv: ['true'] }],
  },
  notify: { bus: false, webhooks: [{ name: 'oncall', url_env: 'BW_TEST_ESCALATION_URL' }] },
});
const topics = { events: `${prefix}_events`, alerts: `${prefix}_alerts`, state: `${prefix}_state` };
const group = `${prefix}_group`;

function newBus(): KafkaBus {
  const bus = new KafkaBus(KafkaSchema.parse({ partitions: 4, linger_ms: 5, session_timeout_ms: 10_000, heartbeat_interval_ms: 1000 }), env);
  closers.push(() => bus.close());
  return bus;
}

async function newStore(): Promise<SqlStore> {
  const store = await openStore({ config: { database, batch_ms: 100 }, env });
  closers.push(() => store.close());
  return store;
}

/** One `breakwater process` as the CLI wires it: its bus, store, dispatcher and partition listener. */
async function startProcessor() {
  const bus = newBus();
  const store = await newStore();
  const dispatcher = new RepairDispatcher({ pipeline: pipe, baseDir: dir, store, bus: null, env: hookEnv });
  const partitionListener = new PartitionRecoveries({ store, watcher: dispatcher, lookbackMs: 3600_000 });
  const state = await BusStateStore.open(bus, group, topics.state);
  const processor = new Processor({ bus, store, state, detector: pipe.detector, groupId: group, dispatcher, partitionListener, eventsTopic: topics.events, alertsTopic: topics.alerts });
  await processor.start();
  const stop = async () => {
    await processor.stop();
    await dispatcher.close();
    await store.flush();
  };
  closers.push(stop);
  return { processor, dispatcher, store, stop };
}

async function poll<T>(what: string, timeoutMs: number, get: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('a repaired, unresolved incident escalates exactly once after its processor stops and two others split the partitions', async () => {
  const servers = ['s1', 's2', 's3', 's4'];
  // Event time close to now: pending incidents are looked up by fired_at within the look-back.
  const T0 = Math.floor(Date.now() / 1000) * 1000 - 330_000;
  const events: HaproxyEvent[] = [
    ...servers.flatMap((server, i) => [...traffic({ fromMs: T0, seconds: 300, rate: () => 10, failRatio: () => 0.001, random: rng(i + 1), over: { server } })]),
    ...servers.flatMap((server, i) => [...traffic({ fromMs: T0 + 300_000, seconds: 15, rate: () => 10, failRatio: () => (server === 's2' ? 1 : 0.001), random: rng(i + 11), over: { server } })]),
  ].sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  const producer = newBus();
  await producer.ensureTopics([{ name: topics.events, partitions: 4 }, { name: topics.alerts, partitions: 1 }]);

  const first = await startProcessor();
  for (let i = 0; i < events.length; i += 2000) {
    await producer.publish(topics.events, events.slice(i, i + 2000).map((e, j) => ({ key: eventKey(e), value: JSON.stringify({ ...e, event_id: `e${i + j}` }) })));
  }
  const repaired = await poll('the repair of s2', 90_000, async () => {
    await first.store.flush();
    return first.store.query<{ alert_id: string; server: string }>("SELECT a.alert_id AS alert_id, a.server AS server FROM hook_runs AS h INNER JOIN alerts AS a ON a.alert_id = h.alert_id WHERE h.phase = 'repair' AND h.status = 'ok'");
  }, (rows) => rows.length > 0);
  assert.deepEqual([...new Set(repaired.map((r) => r.server))], ['s2'], 'only s2 failed');
  const alertId = repaired[0].alert_id;
  await first.stop();

  const verifyRuns = async () => {
    const store = second.store;
    await store.flush();
    return store.query<{ status: string; reason: string }>("SELECT status, reason FROM hook_runs FINAL WHERE phase = 'verify' AND alert_id = {id:String}", { id: alertId });
  };
  const second = await startProcessor();
  assert.deepEqual(await verifyRuns(), [], 'the stopped processor did not escalate before the deadline');
  const third = await startProcessor();
  await poll('the partitions split', 60_000, async () => [second.processor.owned().length, third.processor.owned().length], ([a, b]) => a > 0 && b > 0 && a + b === 4);

  const verified = await poll('the escalation', (DEADLINE_S + 30) * 1000, verifyRuns, (rows) => rows.length > 0);
  assert.equal(verified[0].status, 'failed');
  assert.match(verified[0].reason, new RegExp(`not recovered within ${DEADLINE_S} s`));
  await poll('the escalation webhook', 10_000, async () => escalations.length, (n) => n > 0);
  // A second escalation (by the processor that lost the partition, or by both owners) would come now.
  await new Promise((r) => setTimeout(r, 3000));
  await second.dispatcher.idle();
  await third.dispatcher.idle();
  assert.equal((await verifyRuns()).length, 1);
  assert.equal(escalations.length, 1, 'exactly one escalation');
  assert.ok(escalations[0].includes(alertId));
  await second.stop();
  await third.stop();
});
