import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batcher, type BatcherOptions } from '../../../src/store/batcher.js';

function batcher(over: Partial<BatcherOptions> & Pick<BatcherOptions, 'write'>): Batcher {
  return new Batcher({ table: 't', maxRows: 3, maxDelayMs: 30, maxBuffered: 6, retryInitialMs: 5, retryMaxMs: 20, ...over });
}

const rows = (n: number, p = 'r') => Array.from({ length: n }, (_, i) => `${p}${i}`);

test('a full batch is written at once; a partial one after maxDelayMs; add resolves once written', async () => {
  const written: string[][] = [];
  const b = batcher({ write: async (l) => void written.push(l) });
  await b.add(rows(3));
  assert.deepEqual(written, [['r0', 'r1', 'r2']]);
  const started = Date.now();
  await b.add(['x']);
  assert.ok(Date.now() - started >= 25, 'waited for the batch time');
  assert.deepEqual(written[1], ['x']);
  await b.add(rows(7, 'y'));
  assert.deepEqual(written.slice(2).map((l) => l.length), [3, 3, 1]);
});

test('producers wait while maxBuffered rows are pending (bounded buffer)', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const written: number[] = [];
  const b = batcher({ write: async (l) => { await gate; written.push(l.length); } });
  const first = b.add(rows(6));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(b.pending, 6);
  let thirdAdded = false;
  const third = b.add(['z']).then(() => (thirdAdded = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(b.pending, 6, 'the extra row waits for room');
  assert.equal(thirdAdded, false);
  release();
  await first;
  await third;
  assert.deepEqual(written, [3, 3, 1]);
  assert.equal(b.pending, 0);
});

test('a dead database pauses and retries; nothing is dropped, order kept', async () => {
  let failures = 3;
  const written: string[] = [];
  const b = batcher({ write: async (l) => { if (failures-- > 0) throw new Error('connection refused'); written.push(...l); } });
  const p1 = b.add(rows(3, 'a'));
  const p2 = b.add(rows(2, 'b'));
  await b.flush();
  await Promise.all([p1, p2]);
  assert.deepEqual(written, ['a0', 'a1', 'a2', 'b0', 'b1']);
  assert.equal(b.failures, 0);
});

test('flush writes a partial batch now and waits for batches already in flight', async () => {
  const written: string[][] = [];
  const b = batcher({ maxDelayMs: 60_000, write: async (l) => { await new Promise((r) => setTimeout(r, 10)); written.push(l); } });
  void b.add(rows(3));
  void b.add(['tail']);
  await b.flush();
  assert.deepEqual(written, [['r0', 'r1', 'r2'], ['tail']]);
});

test('prepare runs when a batch is sealed, while the one before is still being written; a failed prepare is retried', async () => {
  const events: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let prepareFailures = 1;
  const b = new Batcher<string, string>({
    table: 't', maxRows: 2, maxDelayMs: 30, maxBuffered: 10, retryInitialMs: 5, retryMaxMs: 20,
    prepare: async (lines) => {
      events.push(`prepare ${lines.join('+')}`);
      if (lines[0] === 'c' && prepareFailures-- > 0) throw new Error('column types unavailable');
      return lines.join('+');
    },
    write: async (block) => {
      events.push(`write ${block}`);
      if (block === 'a+b') await gate;
      events.push(`written ${block}`);
    },
  });
  const first = b.add(['a', 'b']);
  const second = b.add(['c', 'd']);
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(events, ['prepare a+b', 'prepare c+d', 'write a+b'], 'c+d prepared while a+b is in flight');
  release();
  await Promise.all([first, second]);
  assert.deepEqual(events.slice(3), ['written a+b', 'prepare c+d', 'write c+d', 'written c+d'], 'prepared again after failing');
  assert.equal(b.pending, 0);
});
