import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bus, BusRecord, CommitOffset, ConsumeOptions, Subscription } from '../../../src/bus/bus.js';
import { detectorConfig } from '../../../src/config/detector.js';
import { eventKey, type HaproxyEvent } from '../../../src/haproxy/event.js';
import { Processor } from '../../../src/process/processor.js';
import { MemoryStateStore } from '../../../src/process/state.js';
import { MemoryStore, until } from './fakes.js';
import { event, T0 } from './traffic.js';

/** A bus with manual commits whose batches the test hands over itself, recording what happens when. */
class ScriptedBus implements Bus {
  options!: ConsumeOptions;
  readonly log: string[] = [];
  readonly commits: CommitOffset[] = [];
  async publish() {}
  async ensureTopics() {}
  async close() {}
  async consume(options: ConsumeOptions): Promise<Subscription> {
    this.options = options;
    await options.onAssigned?.([{ topic: options.topics[0], partition: 0 }]);
    return {
      stop: async () => options.onRevoked?.([{ topic: options.topics[0], partition: 0 }]),
      commit: async (offsets) => {
        this.log.push(`commit ${offsets.map((o) => o.offset).join()}`);
        this.commits.push(...offsets);
      },
    };
  }
  records(from: number, events: HaproxyEvent[]): BusRecord[] {
    return events.map((e, i) => ({ topic: 'ev', partition: 0, offset: String(from + i), key: eventKey(e), value: Buffer.from(JSON.stringify(e)) }));
  }
}

/** A store whose event inserts complete only when the test says so. */
class GatedStore extends MemoryStore {
  private gates: Array<() => void> = [];
  constructor(private readonly log: string[]) {
    super();
  }
  override async insertEvents(events: HaproxyEvent[]) {
    await new Promise<void>((resolve) => this.gates.push(resolve));
    await super.insertEvents(events);
    this.log.push(`stored ${events.length}`);
  }
  open(): void {
    for (const g of this.gates.splice(0)) g();
  }
  get waiting(): number {
    return this.gates.length;
  }
}

class RecordingState extends MemoryStateStore {
  readonly saves: Array<{ offset: string; keys: string[] }> = [];
  constructor(private readonly log: string[]) {
    super();
  }
  override async save(partition: number, offset: string, series: Array<{ key: string; doc: string }>) {
    await super.save(partition, offset, series);
    this.saves.push({ offset, keys: series.map((s) => s.key) });
    this.log.push(`state ${offset}`);
  }
}

const second = (sec: number, server: string, n = 5) => Array.from({ length: n }, (_, i) => event(T0 + sec * 1000 + i, { server, event_id: `${server}-${sec}-${i}` }));

test('pipelined: batches are consumed while inserts are pending; a save point stores, saves changed series, then commits', async () => {
  const bus = new ScriptedBus();
  const store = new GatedStore(bus.log);
  const state = new RecordingState(bus.log);
  const processor = new Processor({ bus, store, state, detector: detectorConfig({ idle_advance_after_s: 0, state_save_interval_s: 3600 }), groupId: 'g', eventsTopic: 'ev' });
  await processor.start();
  assert.equal(bus.options.manualCommit, true);

  // Two batches go through the detector although neither is stored yet.
  await bus.options.onBatch(bus.records(0, [...second(0, 's1'), ...second(0, 's2')]));
  await bus.options.onBatch(bus.records(10, second(1, 's1')));
  assert.equal(processor.stats.events, 15);
  assert.equal(store.waiting, 2);
  assert.equal(bus.commits.length, 0);

  const saved = processor.checkpoint();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(bus.commits.length, 0, 'nothing is committed while inserts are pending');
  assert.equal(state.saves.length, 0, 'state is saved only after the events are stored');
  store.open();
  await saved;
  assert.deepEqual(bus.log, ['stored 10', 'stored 5', 'state 14', 'commit 14']);
  assert.deepEqual(state.saves[0].keys.sort(), ['lb1|be|s1', 'lb1|be|s2']);

  // Only s1 changes before the next save point: only s1 is saved.
  await bus.options.onBatch(bus.records(15, second(2, 's1')));
  const next = processor.checkpoint();
  store.open();
  await next;
  assert.deepEqual(state.saves[1], { offset: '19', keys: ['lb1|be|s1'] });
  assert.deepEqual(bus.commits.map((c) => c.offset), ['14', '19']);

  // A checkpoint with nothing new saves and commits nothing.
  await processor.checkpoint();
  assert.equal(state.saves.length, 2);
  assert.equal(bus.commits.length, 2);
  await processor.stop();
});

test('pipelined: consumption waits once max_unstored_events are not yet stored', async () => {
  const bus = new ScriptedBus();
  const store = new GatedStore(bus.log);
  const processor = new Processor({
    bus,
    store,
    state: new MemoryStateStore(),
    detector: detectorConfig({ idle_advance_after_s: 0, state_save_interval_s: 3600, max_unstored_events: 8 }),
    groupId: 'g',
    eventsTopic: 'ev',
  });
  await processor.start();
  await bus.options.onBatch(bus.records(0, second(0, 's1')));
  let done = false;
  const blocked = bus.options.onBatch(bus.records(5, second(1, 's1'))).then(() => (done = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(done, false, '10 unstored events > 8: the second batch waits');
  store.open();
  await blocked;
  store.open();
  await processor.stop();
});

test('pipelined: save points run on their own every state_save_interval_s', async () => {
  const bus = new ScriptedBus();
  const store = new MemoryStore();
  const processor = new Processor({ bus, store, state: new MemoryStateStore(), detector: detectorConfig({ idle_advance_after_s: 0, state_save_interval_s: 0.05 }), groupId: 'g', eventsTopic: 'ev' });
  await processor.start();
  await bus.options.onBatch(bus.records(0, second(0, 's1')));
  await until(() => bus.commits.length === 1, 5000, 'an interval save point');
  assert.equal(bus.commits[0].offset, '4');
  await processor.stop();
});

test('pipelined: a large batch goes to the detector and the store in chunks, with the event loop turning in between', async () => {
  const bus = new ScriptedBus();
  const inserts: number[] = [];
  /** Events the detector had taken when an I/O-like callback, scheduled by the first insert, ran. */
  let seenByCallback = -1;
  const store = new (class extends MemoryStore {
    override async insertEvents(events: HaproxyEvent[]) {
      if (inserts.length === 0) setImmediate(() => (seenByCallback = processor.detectorFor(0)!.stats.events));
      inserts.push(events.length);
      await super.insertEvents(events);
    }
  })();
  const processor = new Processor({ bus, store, state: new MemoryStateStore(), detector: detectorConfig({ idle_advance_after_s: 0, state_save_interval_s: 3600 }), groupId: 'g', eventsTopic: 'ev' });
  await processor.start();
  const events = Array.from({ length: 4500 }, (_, i) => event(T0 + Math.floor(i / 10), { server: `s${i % 7}`, event_id: `big-${i}` }));
  await bus.options.onBatch(bus.records(0, events));
  assert.deepEqual(inserts, [2000, 2000, 500]);
  assert.ok(seenByCallback >= 2000 && seenByCallback < 4500, `a callback queued by the first insert ran mid-batch (saw ${seenByCallback} events)`);
  assert.equal(store.events.size, 4500);
  assert.equal(processor.detectorFor(0)!.stats.events, 4500);

  // Redelivered after a rebalance: stored again (idempotent), never fed to the detector twice.
  await bus.options.onBatch(bus.records(0, events));
  assert.equal(processor.detectorFor(0)!.stats.events, 4500);
  assert.equal(store.events.size, 4500);
  await processor.checkpoint();
  assert.deepEqual(bus.commits.map((c) => c.offset), ['4499']);
  await processor.stop();
});
