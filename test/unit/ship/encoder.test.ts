import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerEncoder, inThreadEncoder, type ChunkContext } from '../../../src/ship/encoder.js';
import { LineSplitter } from '../../../src/ship/lines.js';
import { Shipper } from '../../../src/ship/shipper.js';
import { createParser } from '../../../src/haproxy/parser.js';
import { TOPICS, type OutgoingMessage } from '../../../src/bus/bus.js';
import { Registry } from '../../../src/observe/metrics.js';
import { generateHttpLogLines } from '../../../bench/gen-lines.js';
import { RecordingBus, sources, until } from './fake.js';

const ctx: ChunkContext = { host: 'lb1', source: '/var/log/haproxy.log', idPrefix: '0123456789abcdef', rejectRawMaxBytes: 4096, maxLineBytes: 300 };

/** Real lines, garbage, a blank line, a multi-byte one and one past maxLineBytes (cut and rejected). */
function text(): string {
  const lines = [...generateHttpLogLines(3000, { seed: 9, failureRate: 0.3 })];
  lines.splice(10, 0, 'garbage "quoted" \\ line', '', 'é'.repeat(20), 'x'.repeat(1000));
  return lines.join('\n') + '\n';
}

/** Values as text: the worker hands back Buffers (views into one packed buffer), the calling thread strings. */
const asText = (messages: OutgoingMessage[]) => messages.map((m) => ({ key: m.key, value: m.value.toString() }));

const withoutClock = (values: unknown[]) => values.map((v) => ({ ...(JSON.parse(String(v)) as object), received_at: 'x' }));

test('the worker thread encodes a chunk exactly as the calling thread does, chunks answered in order', async () => {
  const lines = new LineSplitter(0, ctx.maxLineBytes).push(Buffer.from(text()));
  const here = await inThreadEncoder(createParser()).encode(lines, ctx);
  const encoder = new WorkerEncoder({});
  try {
    const chunks = [lines.slice(0, 1000), lines.slice(1000, 2000), lines.slice(2000)];
    const answers = await Promise.all(chunks.map((c) => encoder.encode(c, ctx)));
    assert.deepEqual(asText(answers.flatMap((a) => a.events)), asText(here.events));
    assert.equal(answers.reduce((n, a) => n + a.read, 0), here.read);
    assert.deepEqual(withoutClock(answers.flatMap((a) => a.rejects).map((r) => r.value)), withoutClock(here.rejects.map((r) => r.value)));
    assert.equal(here.rejects.length, 3, 'the garbage line, the multi-byte one and the over-long one');
    assert.equal(here.read, 3003, 'the blank line is not counted');
  } finally {
    await encoder.close();
  }
});

test('a shipper with the worker encoder publishes what the in-thread shipper does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-ship-enc-'));
  try {
    const log = join(dir, 'haproxy.log');
    writeFileSync(log, text());
    const run = async (encoder?: WorkerEncoder) => {
      const bus = new RecordingBus();
      const s = new Shipper({ sources: sources({ files: [log], checkpoint_file: join(dir, `${encoder ? 'w' : 't'}.json`), read_chunk_bytes: 65536 }), bus, parse: createParser(), encoder, registry: new Registry() });
      await s.start();
      await until(() => s.files[0]?.acked === s.files[0]?.size && bus.published.length > 0);
      await s.stop();
      return bus;
    };
    const inThread = await run();
    const worker = await run(new WorkerEncoder({}));
    const events = (bus: RecordingBus) => asText(bus.published.filter((p) => p.topic === TOPICS.events).map((p) => p.message));
    assert.deepEqual(events(worker), events(inThread));
    assert.equal(worker.values(TOPICS.rejects).length, inThread.values(TOPICS.rejects).length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a worker that dies is replaced: the chunk it held fails, the next ones encode with fresh keys', async () => {
  const lines = new LineSplitter(0, ctx.maxLineBytes).push(Buffer.from(text()));
  const here = await inThreadEncoder(createParser()).encode(lines.slice(1000, 2000), ctx);
  const encoder = new WorkerEncoder({});
  try {
    await encoder.encode(lines.slice(0, 1000), ctx);
    const exited = new Promise((resolve) => (encoder as unknown as { worker: Worker }).worker.once('exit', resolve));
    await (encoder as unknown as { worker: Worker }).worker.terminate();
    await exited;
    const again = await encoder.encode(lines.slice(1000, 2000), ctx).catch(() => encoder.encode(lines.slice(1000, 2000), ctx));
    assert.deepEqual(asText(again.events), asText(here.events));
  } finally {
    await encoder.close();
  }
});
