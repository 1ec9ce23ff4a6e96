import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from '../../../src/bus/memory.js';
import { TOPICS, type BusRecord } from '../../../src/bus/bus.js';
import { detectorConfig } from '../../../src/config/detector.js';
import { eventKey, type HaproxyEvent } from '../../../src/haproxy/event.js';
import { Processor } from '../../../src/process/processor.js';
import { MemoryStateStore } from '../../../src/process/state.js';
import { H } from '../../../src/detect/series.js';
import { MemoryStore, RecordingDispatcher, until } from './fakes.js';
import { rng, T0, traffic } from './traffic.js';

function incident(): HaproxyEvent[] {
  const random = rng(21);
  const healthy = (from: number, seconds: number, server: string) =>
    traffic({ fromMs: from, seconds, rate: () => 20, failRatio: () => 0.001, random, over: { server } });
  const out: HaproxyEvent[] = [];
  for (const server of ['s1', 's2']) out.push(...healthy(T0, 300, server));
  out.push(...traffic({ fromMs: T0 + 300_000, seconds: 10, rate: () => 20, failRatio: () => 1, random, over: { server: 's1' } }));
  for (const server of ['s1', 's2']) out.push(...healthy(T0 + 310_000, 90, server));
  return out.sort((a, b) => a.timestamp.localeCompare(b.timestamp)).map((e, i) => ({ ...e, event_id: `e${i}` }));
}

test('the processor stores events, raises one incident to the store, the alerts topic and the dispatcher, and a restart keeps baselines', async () => {
  const bus = new MemoryBus({ partitions: 2, maxLag: 1_000_000 });
  const store = new MemoryStore();
  const state = new MemoryStateStore();
  const dispatcher = new RecordingDispatcher();
  const detector = detectorConfig({ resolve_after_s: 20, idle_advance_after_s: 0 });
  const published: BusRecord[] = [];
  const alertsSub = await bus.consume({ groupId: 'alert-reader', topics: [TOPICS.alerts], fromBeginning: true, onBatch: async (r) => void published.push(...r) });
  const first = new Processor({ bus, store, state, detector, groupId: 'p', dispatcher });
  await first.start();
  const events = incident();
  // Also a malformed record: counted and skipped.
  await bus.publish(TOPICS.events, [{ key: 'x', value: 'not json' }]);
  for (let i = 0; i < events.length; i += 500) {
    await bus.publish(TOPICS.events, events.slice(i, i + 500).map((e) => ({ key: eventKey(e), value: JSON.stringify(e) })));
  }
  await until(() => first.stats.events === events.length, 20_000, 'all events processed');
  assert.equal(first.stats.bad, 1);
  assert.equal(store.events.size, events.length);
  assert.deepEqual(store.alerts.map((a) => [a.state, a.server]), [['firing', 's1'], ['resolved', 's1']]);
  assert.deepEqual(dispatcher.seen.map((a) => a.state), ['firing', 'resolved']);
  await until(() => published.length === 2, 5000, 'alerts on the topic');
  assert.equal(JSON.parse(published[0].value.toString()).alert_id, store.alerts[0].alert_id);

  const partition = first.owned().find((p) => first.detectorFor(p)?.get('lb1|be|s1'))!;
  const learnt = first.detectorFor(partition)!.get('lb1|be|s1')!.d[H.N];
  assert.ok(learnt > 1000);
  await first.stop();

  const second = new Processor({ bus, store, state, detector, groupId: 'p', dispatcher });
  await second.start();
  await until(() => second.owned().length === 2, 5000, 'partitions assigned');
  assert.equal(second.detectorFor(partition)!.get('lb1|be|s1')!.d[H.N], learnt);
  // Redelivered or new events continue from the restored state: no new incident.
  const more = [...traffic({ fromMs: T0 + 400_000, seconds: 20, rate: () => 20, failRatio: () => 0.001, random: rng(22), over: { server: 's1' } })];
  await bus.publish(TOPICS.events, more.map((e, i) => ({ key: eventKey(e), value: JSON.stringify({ ...e, event_id: `m${i}` }) })));
  await until(() => second.stats.events === more.length, 10_000, 'more events processed');
  assert.equal(store.alerts.length, 2);
  await second.stop();
  await alertsSub.stop();
  await bus.close();
});
