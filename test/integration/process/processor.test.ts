import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka } from 'kafkajs';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { KafkaSchema } from '../../../src/config/bus.js';
import { detectorConfig } from '../../../src/config/detector.js';
import { eventKey, type HaproxyEvent } from '../../../src/haproxy/event.js';
import { Processor } from '../../../src/process/processor.js';
import { BusStateStore } from '../../../src/process/state.js';
import { H } from '../../../src/detect/series.js';
import { kafkaBrokers, uniqueName } from '../../support/services.js';
import { MemoryStore, RecordingDispatcher, until } from '../../unit/detect/fakes.js';
import { rng, T0, traffic } from '../../unit/detect/traffic.js';

const brokers = await kafkaBrokers();
const env = { KAFKA_BROKERS: brokers.join(',') };
const created: string[] = [];
const buses: KafkaBus[] = [];
after(async () => {
  for (const b of buses) await b.close().catch(() => undefined);
  const admin = new Kafka({ brokers, logLevel: 0 }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: created }).catch(() => undefined);
  await admin.disconnect();
});

function newBus(): KafkaBus {
  const bus = new KafkaBus(KafkaSchema.parse({ partitions: 4, linger_ms: 5, session_timeout_ms: 10_000, heartbeat_interval_ms: 1000 }), env);
  buses.push(bus);
  return bus;
}

async function topics() {
  const t = { events: uniqueName('bw_events'), alerts: uniqueName('bw_alerts'), state: uniqueName('bw_state') };
  created.push(t.events, t.alerts, t.state);
  const bus = newBus();
  await bus.ensureTopics([{ name: t.events, partitions: 4 }, { name: t.alerts, partitions: 1 }]);
  return t;
}

const detector = detectorConfig({ resolve_after_s: 20, idle_advance_after_s: 0 });

function serverTraffic(server: string, fromMs: number, seconds: number, failRatio: number, seed: number): HaproxyEvent[] {
  return [...traffic({ fromMs, seconds, rate: () => 10, failRatio: () => failRatio, random: rng(seed), over: { server } })];
}

async function publish(bus: KafkaBus, topic: string, events: HaproxyEvent[]) {
  const sorted = events.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  for (let i = 0; i < sorted.length; i += 2000) {
    await bus.publish(topic, sorted.slice(i, i + 2000).map((e) => ({ key: eventKey(e), value: JSON.stringify({ ...e, event_id: `${e.server}-${e.timestamp}-${Math.random()}` }) })));
  }
}

async function processor(t: { events: string; alerts: string; state: string }, group: string, store: MemoryStore, dispatcher: RecordingDispatcher) {
  const bus = newBus();
  const state = await BusStateStore.open(bus, group, t.state);
  const p = new Processor({ bus, store, state, detector, groupId: group, dispatcher, eventsTopic: t.events, alertsTopic: t.alerts });
  await p.start();
  return p;
}

test('a processor restart keeps baselines (state in a compacted Kafka topic)', async () => {
  const t = await topics();
  const group = uniqueName('bw_proc');
  const store = new MemoryStore();
  const dispatcher = new RecordingDispatcher();
  const producer = newBus();
  const events = ['s1', 's2', 's3'].flatMap((s, i) => serverTraffic(s, T0, 200, 0.01, i + 1));
  const first = await processor(t, group, store, dispatcher);
  await publish(producer, t.events, events);
  await until(() => first.stats.events === events.length, 60_000, 'first processor consumed everything');
  const learnt = new Map<string, number>();
  for (const p of first.owned()) for (const k of first.detectorFor(p)!.keys()) learnt.set(k, first.detectorFor(p)!.get(k)!.d[H.N]);
  assert.equal(learnt.size, 3);
  await first.stop();

  const second = await processor(t, group, store, dispatcher);
  try {
    await until(() => second.owned().length === 4, 60_000, 'second processor assigned');
    // A batch whose commit the stop interrupted is redelivered (at-least-once): the detector skips
    // records its restored state already holds, the store dedups them by event_id.
    await new Promise((r) => setTimeout(r, 3000));
    for (const [k, n] of learnt) {
      const owner = second.owned().find((p) => second.detectorFor(p)!.get(k));
      assert.ok(owner !== undefined, `${k} restored`);
      assert.equal(second.detectorFor(owner)!.get(k)!.d[H.N], n);
    }
    // Loading state read the compacted topic through one-off groups, deleted once read.
    const admin = new Kafka({ brokers, logLevel: 0 }).admin();
    await admin.connect();
    const { groups } = await admin.listGroups();
    await admin.disconnect();
    assert.deepEqual(groups.filter((g) => g.groupId.startsWith(`${group}.state-loader`)), []);
  } finally {
    await second.stop();
  }
  assert.equal(store.events.size, events.length);
});

test('offsets are committed at save points only, once the events are stored and the state saved', async () => {
  const t = await topics();
  const group = uniqueName('bw_proc');
  const store = new MemoryStore();
  const producer = newBus();
  const bus = newBus();
  const state = await BusStateStore.open(bus, group, t.state);
  const p = new Processor({ bus, store, state, detector: { ...detector, state_save_interval_s: 3600 }, groupId: group, eventsTopic: t.events, alertsTopic: t.alerts });
  const admin = new Kafka({ brokers, logLevel: 0 }).admin();
  await admin.connect();
  const committed = async () => {
    const [{ partitions }] = await admin.fetchOffsets({ groupId: group, topics: [t.events] });
    return partitions.reduce((sum, x) => sum + Math.max(0, Number(x.offset)), 0);
  };
  try {
    await p.start();
    const events = ['s1', 's2', 's3', 's4'].flatMap((s, i) => serverTraffic(s, T0, 30, 0.01, 70 + i));
    await publish(producer, t.events, events);
    await until(() => p.stats.events === events.length, 60_000, 'all consumed');
    assert.equal(await committed(), 0, 'nothing committed before a save point');
    await p.checkpoint();
    assert.equal(store.events.size, events.length);
    assert.equal(await committed(), events.length, 'a save point commits everything consumed');
  } finally {
    await p.stop();
    await admin.disconnect();
  }
});

test('two processors splitting the partitions raise exactly one alert per incident', async () => {
  const t = await topics();
  const group = uniqueName('bw_proc');
  const store = new MemoryStore();
  const dispatcher = new RecordingDispatcher();
  const producer = newBus();
  const servers = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const failing = new Set(['b', 'f']);
  const healthy = servers.flatMap((s, i) => serverTraffic(s, T0, 300, 0.001, 10 + i));
  const incident = servers.flatMap((s, i) => serverTraffic(s, T0 + 300_000, 15, failing.has(s) ? 1 : 0.001, 30 + i));
  const recovery = servers.flatMap((s, i) => serverTraffic(s, T0 + 315_000, 60, 0.001, 50 + i));
  const one = await processor(t, group, store, dispatcher);
  const two = await processor(t, group, store, dispatcher);
  try {
    await until(() => one.owned().length > 0 && two.owned().length > 0 && one.owned().length + two.owned().length === 4, 60_000, 'partitions split');
    await publish(producer, t.events, healthy);
    await publish(producer, t.events, incident);
    await publish(producer, t.events, recovery);
    const total = healthy.length + incident.length + recovery.length;
    await until(() => one.stats.events + two.stats.events >= total, 90_000, 'both processors consumed everything');
    const firing = store.alerts.filter((a) => a.state === 'firing');
    assert.deepEqual(firing.map((a) => a.server).sort(), ['b', 'f']);
    assert.deepEqual(store.alerts.filter((a) => a.state === 'resolved').map((a) => a.server).sort(), ['b', 'f']);
    assert.equal(dispatcher.seen.length, 4);
    assert.equal(store.events.size, total);
  } finally {
    await one.stop();
    await two.stop();
  }
});
