import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus, keyHash } from '../../../src/bus/memory.js';
import type { BusRecord, TopicPartition } from '../../../src/bus/bus.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

test('records of one key stay in one partition, in order, delivered per partition', async () => {
  const bus = new MemoryBus({ partitions: 3 });
  await bus.ensureTopics([{ name: 't', partitions: 3 }]);
  const batches: BusRecord[][] = [];
  const sub = await bus.consume({ groupId: 'g', topics: ['t'], fromBeginning: true, onBatch: async (b) => void batches.push(b) });
  const msgs = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 7}`, value: String(i) }));
  await bus.publish('t', msgs);
  await until(() => batches.flat().length === 300);
  for (const b of batches) assert.equal(new Set(b.map((r) => r.partition)).size, 1, 'one partition per batch');
  const all = batches.flat();
  for (let k = 0; k < 7; k++) {
    const mine = all.filter((r) => r.key === `k${k}`);
    assert.equal(new Set(mine.map((r) => r.partition)).size, 1);
    assert.equal(mine[0].partition, keyHash(`k${k}`) % 3);
    const values = mine.map((r) => Number(r.value.toString()));
    assert.deepEqual(values, [...values].sort((a, b) => a - b));
  }
  await sub.stop();
  await bus.close();
});

test('a rejected batch is redelivered; offsets commit only after onBatch resolves', async () => {
  const bus = new MemoryBus({ partitions: 1, retryBackoffMs: 10 });
  let failures = 2;
  const seen: string[] = [];
  const sub = await bus.consume({
    groupId: 'g',
    topics: ['t'],
    onBatch: async (b) => {
      if (failures-- > 0) throw new Error('store down');
      seen.push(...b.map((r) => r.value.toString()));
    },
  });
  await bus.publish('t', [{ key: null, value: 'a' }, { key: null, value: 'b' }]);
  await until(() => seen.length === 2);
  assert.deepEqual(seen, ['a', 'b']);
  await sub.stop();
  // The group resumes after its committed offset: nothing is redelivered to a new member.
  const again: string[] = [];
  const sub2 = await bus.consume({ groupId: 'g', topics: ['t'], fromBeginning: true, onBatch: async (b) => void again.push(...b.map((r) => r.value.toString())) });
  await bus.publish('t', [{ key: null, value: 'c' }]);
  await until(() => again.length === 1);
  assert.deepEqual(again, ['c']);
  await sub2.stop();
  await bus.close();
});

test('members of one group split partitions; onRevoked and onAssigned follow rebalances', async () => {
  const bus = new MemoryBus({ partitions: 4 });
  const events: string[] = [];
  const got = new Map<string, number>();
  const member = (name: string) => ({
    groupId: 'g',
    topics: ['t'],
    fromBeginning: true,
    onAssigned: async (tps: TopicPartition[]) => void events.push(`${name}+${tps.map((t) => t.partition).join(',')}`),
    onRevoked: async (tps: TopicPartition[]) => void events.push(`${name}-${tps.map((t) => t.partition).join(',')}`),
    onBatch: async (b: BusRecord[]) => void got.set(name, (got.get(name) ?? 0) + b.length),
  });
  const a = await bus.consume(member('a'));
  assert.deepEqual(events, ['a+0,1,2,3']);
  const b = await bus.consume(member('b'));
  assert.deepEqual(events.slice(1), ['a-1,3', 'b+1,3']);
  await bus.publish('t', Array.from({ length: 400 }, (_, i) => ({ key: `k${i}`, value: 'x' })));
  await until(() => (got.get('a') ?? 0) + (got.get('b') ?? 0) === 400);
  assert.ok(got.get('a')! > 0 && got.get('b')! > 0, 'both members consumed');
  await a.stop();
  assert.deepEqual(events.slice(3), ['a-0,2', 'b+0,2']);
  await b.stop();
  await bus.close();
});

test('publish waits while a group lags maxLag records (bounded memory), resumes when it catches up', async () => {
  const bus = new MemoryBus({ partitions: 1, maxLag: 10, maxBatch: 5 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let consumed = 0;
  const sub = await bus.consume({
    groupId: 'g',
    topics: ['t'],
    onBatch: async (b) => {
      await gate;
      consumed += b.length;
    },
  });
  let published = false;
  const p = bus.publish('t', Array.from({ length: 30 }, () => ({ key: null, value: 'x' }))).then(() => (published = true));
  await sleep(30);
  assert.equal(published, false, 'publish is held back');
  release();
  await p;
  await until(() => consumed === 30);
  await sub.stop();
  await bus.close();
});

test('without consumers a topic keeps only its newest records; a late fromBeginning group reads them', async () => {
  const bus = new MemoryBus({ partitions: 1, retainWithoutConsumers: 5 });
  await bus.publish('t', Array.from({ length: 12 }, (_, i) => ({ key: null, value: String(i) })));
  const seen: string[] = [];
  const sub = await bus.consume({ groupId: 'late', topics: ['t'], fromBeginning: true, onBatch: async (b) => void seen.push(...b.map((r) => r.value.toString())) });
  await until(() => seen.length === 5);
  assert.deepEqual(seen, ['7', '8', '9', '10', '11']);
  await sub.stop();
  await bus.close();
});
