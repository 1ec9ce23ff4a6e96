import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBus } from '../../../src/bus/memory.js';
import { ProcessedAckBus } from '../../../src/run/processed-ack-bus.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a publish resolves only after the consumer finished every record of it', async () => {
  const bus = new ProcessedAckBus(new MemoryBus({ partitions: 3 }));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const seen: string[] = [];
  const sub = await bus.consume({
    groupId: 'g',
    topics: ['events'],
    fromBeginning: true,
    onBatch: async (records) => {
      await gate;
      for (const r of records) seen.push(r.value.toString());
    },
  });
  let acked = false;
  const publishing = bus.publish('events', ['a', 'b', 'c', 'd'].map((v) => ({ key: v, value: v }))).then(() => (acked = true));
  await sleep(100);
  assert.equal(acked, false, 'not acknowledged while the consumer has not finished');
  release();
  await publishing;
  assert.deepEqual(seen.sort(), ['a', 'b', 'c', 'd']);
  await sub.stop();
  await bus.close();
});

test('a publish to a topic nobody consumes here resolves at once', async () => {
  const bus = new ProcessedAckBus(new MemoryBus());
  await bus.consume({ groupId: 'g', topics: ['events'], onBatch: async () => undefined });
  await bus.publish('alerts', [{ key: 'k', value: 'v' }]);
  await bus.close();
});
