import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, renameSync, copyFileSync, truncateSync, appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointState } from '../../../src/ship/checkpoint.js';
import { Collector, appendSlowly, lines, setup, shipperStarted, sleep, spawnShipper, stopShipper, until } from './harness.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'bw-ship-it-'));
}

test('200k lines appended while shipping all arrive exactly once by event_id; garbage lands in rejects; /metrics counts them', async () => {
  const dir = tempDir();
  const log = join(dir, 'haproxy.log');
  writeFileSync(log, '');
  const s = await setup(dir, [log]);
  const collector = new Collector(s);
  const shipper = spawnShipper(s);
  try {
    await collector.start();
    const N = 200_000;
    const GARBAGE_EVERY = 1000;
    await appendSlowly(log, 0, N, 5000, 20, GARBAGE_EVERY);
    await until(() => collector.distinct() === N, 90_000, 'all lines arrived', () => `(${collector.distinct()} of ${N})\n${shipper.stderr().slice(-2000)}`);
    await sleep(500);
    assert.equal(collector.records, N, 'no line twice');
    const ids = new Set([...collector.events.values()].flat().concat([...collector.rejects.values()].flat().map((r) => r.id)));
    assert.equal(ids.size, N, 'one event_id per line');
    assert.equal(collector.rejects.size, N / GARBAGE_EVERY);
    for (const [n, [r]] of collector.rejects) {
      assert.equal(n % GARBAGE_EVERY, GARBAGE_EVERY - 1);
      assert.match(r.reason, /\S/);
      assert.equal(r.raw, `garbage line /r/${n} that no parser takes`);
    }
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(shipper.stderr())?.[1];
    assert.ok(url, 'the shipper logged its observability URL');
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.match(text, new RegExp(`breakwater_ship_lines_read_total\\{file="${log}"\\} ${N}\\n`));
    assert.match(text, new RegExp(`breakwater_ship_events_sent_total ${N - N / GARBAGE_EVERY}\\n`));
    assert.match(text, new RegExp(`breakwater_ship_bytes_behind\\{file="${log}"\\} 0\\n`));
    assert.match(text, /breakwater_ship_send_seconds_count \d+/);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal(await stopShipper(shipper), 0, 'clean exit on SIGTERM');
  } finally {
    shipper.child.kill('SIGKILL');
    await collector.stop();
    await collector.dropTopics();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kill -9 at 5 random moments during ingest: every line arrives; a line arrives again only if it lies past the checkpoint the restart resumed from', async () => {
  const dir = tempDir();
  const log = join(dir, 'haproxy.log');
  writeFileSync(log, '');
  const s = await setup(dir, [log], { sources: { max_inflight_bytes: 1024 * 1024 } });
  const collector = new Collector(s);
  const N = 100_000;
  const KILLS = 5;
  /** Per kill: the checkpointed offset the next run resumed from, and the file size at the kill (nothing past it was sent). */
  const kills: { resumedFrom: number; size: number }[] = [];
  let shipper = spawnShipper(s);
  try {
    await collector.start();
    const writing = appendSlowly(log, 0, N, 1000, 60);
    for (let k = 0; k < KILLS; k++) {
      // Killed while it ships, not while it starts (a client library's start-up may take seconds).
      await shipperStarted(shipper);
      await sleep(300 + Math.floor(Math.random() * 1200));
      shipper.child.kill('SIGKILL');
      await shipper.exited;
      kills.push({ resumedFrom: checkpointedOffset(s.checkpoint, log), size: statSync(log).size });
      shipper = spawnShipper(s);
    }
    await writing;
    await until(() => collector.distinct() === N, 90_000, 'all lines arrived after the kills', () => `(${collector.distinct()} of ${N})`);
    await sleep(1000);
    let duplicates = 0;
    for (const [n, ids] of collector.events) {
      assert.equal(new Set(ids).size, 1, 'a line read again keeps its event_id');
      // Sent again only by a run that resumed from a checkpoint before the line, after a run that had it.
      const offset = collector.offsets.get(n)!;
      const rereads = kills.filter((k) => k.resumedFrom <= offset && offset < k.size).length;
      assert.ok(ids.length - 1 <= rereads, `line ${n} (offset ${offset}) arrived ${ids.length} times; kills: ${JSON.stringify(kills)}`);
      duplicates += ids.length - 1;
    }
    for (let k = 1; k < kills.length; k++) assert.ok(kills[k].resumedFrom >= kills[k - 1].resumedFrom, 'checkpoints only move forward');
    console.log(`kill -9 x${KILLS}: ${N} lines, ${duplicates} duplicates (dropped by event_id downstream); resumed from ${kills.map((k) => k.resumedFrom).join(', ')}`);
    assert.equal(await stopShipper(shipper), 0);
  } finally {
    shipper.child.kill('SIGKILL');
    await collector.stop();
    await collector.dropTopics();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The acknowledged offset of `path` in the shipper's checkpoint file (0 before the first one). */
function checkpointedOffset(checkpoint: string, path: string): number {
  if (!existsSync(checkpoint)) return 0;
  const state = JSON.parse(readFileSync(checkpoint, 'utf8')) as CheckpointState;
  return state.files.find((f) => f.path === path)?.offset ?? 0;
}

// The second variant also parses and encodes on a worker thread (sources.encode_thread).
for (const client of ['kafkajs', 'platformatic']) test(`rotation by rename and by copytruncate under load loses no line (and sends none twice), producer ${client}${client === 'platformatic' ? ', encode thread' : ''}`, async () => {
  const dir = tempDir();
  const log = join(dir, 'haproxy.log');
  writeFileSync(log, '');
  const s = await setup(dir, [log], { kafka: { client }, sources: { encode_thread: client === 'platformatic' } });
  const collector = new Collector(s);
  const shipper = spawnShipper(s);
  try {
    await collector.start();
    await shipperStarted(shipper);
    let n = 0;
    const burst = async (count: number) => {
      for (let i = 0; i < count; i += 500) {
        appendFileSync(log, lines(n, n + 500));
        n += 500;
        await sleep(50);
      }
    };
    for (let round = 0; round < 3; round++) {
      await burst(5000);
      // rename + create, while the writer keeps appending to the renamed file for a moment
      renameSync(log, `${log}.1`);
      appendFileSync(`${log}.1`, lines(n, n + 300));
      n += 300;
      writeFileSync(log, '');
      await burst(5000);
      // copytruncate: the lines appended just before the copy are only in the copy
      appendFileSync(log, lines(n, n + 700));
      n += 700;
      copyFileSync(log, `${log}.${round}c`); // logrotate copies to a fresh file
      truncateSync(log, 0);
    }
    await burst(3000);
    const N = n;
    await until(() => collector.distinct() === N, 60_000, 'all lines after rotations', () => `(${collector.distinct()} of ${N}) ${collector.missing(N)}`);
    await sleep(500);
    assert.equal(collector.records, N, 'no line twice');
    assert.equal(await stopShipper(shipper), 0);
  } finally {
    shipper.child.kill('SIGKILL');
    await collector.stop();
    await collector.dropTopics();
    rmSync(dir, { recursive: true, force: true });
  }
});
