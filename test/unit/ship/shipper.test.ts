import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, appendFileSync, renameSync, writeFileSync, copyFileSync, truncateSync, unlinkSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Shipper } from '../../../src/ship/shipper.js';
import { TOPICS } from '../../../src/bus/bus.js';
import { Registry } from '../../../src/observe/metrics.js';
import { RecordingBus, fakeParse, sources, until } from './fake.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bw-ship-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `ok ${from + i}\n`).join('');
const ns = (bus: RecordingBus) => bus.values(TOPICS.events).map((e) => e.pid as number);

async function ship(bus: RecordingBus, over: Parameters<typeof sources>[0]) {
  const s = new Shipper({ sources: sources(over), bus, parse: fakeParse, registry: new Registry() });
  await s.start();
  return s;
}

test('events carry source, raw_offset and a stable 32-hex event_id; garbage goes to rejects; the checkpoint resumes', async () => {
  const log = join(dir, 'haproxy.log');
  writeFileSync(log, 'ok 0\ngarbage here\n\nok 1\n');
  const checkpoint = join(dir, 'cp.json');
  const bus = new RecordingBus();
  const s = await ship(bus, { files: [log], checkpoint_file: checkpoint });
  await until(() => bus.published.length === 3);
  appendFileSync(log, 'ok 2\n');
  await until(() => ns(bus).length === 3);
  await s.stop();
  const events = bus.values(TOPICS.events);
  assert.deepEqual(events.map((e) => e.raw_offset), [0, 19, 24]);
  assert.ok(events.every((e) => e.source === log && /^[0-9a-f]{32}$/.test(e.event_id as string)));
  assert.equal(new Set(events.map((e) => e.event_id)).size, 3);
  const [reject] = bus.values(TOPICS.rejects);
  assert.deepEqual({ ...reject, received_at: 'x' }, { received_at: 'x', host: 'lb1', source: log, raw_offset: 5, reason: 'not ok', raw: 'garbage here', event_id: reject.event_id });
  assert.equal(bus.published.find((p) => p.topic === TOPICS.events)!.message.key, 'h1|be|s0');
  const saved = JSON.parse(readFileSync(checkpoint, 'utf8'));
  assert.equal(saved.files[0].offset, 29);

  // Restart: nothing is re-sent; new lines continue; same file, same ids.
  appendFileSync(log, 'ok 3\n');
  const bus2 = new RecordingBus();
  const s2 = await ship(bus2, { files: [log], checkpoint_file: checkpoint });
  await until(() => ns(bus2).length === 1);
  await s2.stop();
  assert.deepEqual(ns(bus2), [3]);
  assert.equal((bus2.values(TOPICS.events)[0].event_id as string).slice(0, 16), (events[0].event_id as string).slice(0, 16));
});

test('a re-read after a crash (no checkpoint advance) gives the same event ids', async () => {
  const log = join(dir, 'a.log');
  writeFileSync(log, lines(0, 50));
  const a = new RecordingBus();
  const s1 = await ship(a, { files: [log], checkpoint_file: join(dir, 'cp1.json') });
  await until(() => ns(a).length === 50);
  await s1.stop();
  const b = new RecordingBus();
  const s2 = await ship(b, { files: [log], checkpoint_file: join(dir, 'cp2.json') });
  await until(() => ns(b).length === 50);
  await s2.stop();
  assert.deepEqual(b.values(TOPICS.events).map((e) => e.event_id), a.values(TOPICS.events).map((e) => e.event_id));
});

test('start_at end skips existing lines and starts on a line boundary', async () => {
  const log = join(dir, 'live.log');
  writeFileSync(log, 'ok 0\nok 1\nok 2 partial');
  const bus = new RecordingBus();
  const s = await ship(bus, { files: [log], checkpoint_file: join(dir, 'cp.json'), start_at: 'end' });
  appendFileSync(log, '\nok 3\n');
  await until(() => bus.published.length === 2);
  await s.stop();
  assert.deepEqual(ns(bus), [3]);
  assert.equal(bus.values(TOPICS.rejects)[0].raw, 'ok 2 partial');
});

test('rename+create rotation, copytruncate and a deleted open file lose no line', async () => {
  const log = join(dir, 'haproxy.log');
  writeFileSync(log, lines(0, 100));
  const bus = new RecordingBus();
  const s = await ship(bus, { files: [log], checkpoint_file: join(dir, 'cp.json') });
  await until(() => ns(bus).length === 100);
  // rename + create, with lines appended to the old file after the rename
  appendFileSync(log, lines(100, 150));
  renameSync(log, `${log}.1`);
  appendFileSync(`${log}.1`, lines(150, 160));
  writeFileSync(log, lines(160, 200));
  await until(() => ns(bus).length === 200, 5000, 'rename rotation');
  // copytruncate: the shipper has not read the last lines before the copy is taken
  await until(() => s.files.every((f) => f.offset === f.size));
  appendFileSync(log, lines(200, 230));
  copyFileSync(log, `${log}.2`);
  truncateSync(log, 0);
  appendFileSync(log, lines(230, 260));
  await until(() => ns(bus).length === 260, 5000, 'copytruncate');
  // deleted while open, lines appended through the still-open name first
  appendFileSync(log, lines(260, 270));
  unlinkSync(log);
  await until(() => ns(bus).length === 270, 5000, 'deleted file');
  await s.stop();
  const got = ns(bus).sort((a, b) => a - b);
  assert.deepEqual(got, Array.from({ length: 270 }, (_, i) => i));
});

test('globs pick up new files; memory stays bounded while the bus is held; failed publishes are retried', async () => {
  const bus = new RecordingBus();
  const s = await ship(bus, { files: [join(dir, '*.log')], checkpoint_file: join(dir, 'cp.json'), max_inflight_bytes: 65536, read_chunk_bytes: 4096 });
  bus.hold();
  writeFileSync(join(dir, 'a.log'), lines(0, 20_000));
  writeFileSync(join(dir, 'b.log'), lines(20_000, 20_100));
  await until(() => bus.pendingCalls > 0);
  await new Promise((r) => setTimeout(r, 300));
  const read = s.files.reduce((n, f) => n + f.offset, 0);
  assert.ok(read <= 65536 + 2 * 4096, `read ${read} bytes while the bus held everything`);
  bus.failures = 3;
  bus.open();
  await until(() => ns(bus).length === 20_100, 10_000, 'all lines after release');
  await s.stop();
  assert.equal(new Set(ns(bus)).size, 20_100);
});
