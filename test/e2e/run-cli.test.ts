/**
 * `breakwater run` as a user starts it (the built CLI, embedded defaults): it ships a log
 * through detection into the store, serves /metrics and /healthz, stops gracefully on SIGTERM
 * (everything acknowledged is processed, stored and checkpointed, detector state saved), and resumes after a restart
 * without reading a line twice. Run `npm run build` first (`npm test` does).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { demoTrafficOptions, writeTrafficFile } from '../../src/demo/traffic.js';
import { openStore } from '../../src/store/open.js';
import { freePort } from '../support/haproxy-lab.js';

const CLI = join(import.meta.dirname, '../../bin/breakwater.js');
const dir = mkdtempSync(join(tmpdir(), 'bw-run-cli-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
const env = { ...process.env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '', LOG_LEVEL: 'warn' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('run: --help, missing -c (exit 2), a bad pipeline field (exit 78, named)', () => {
  const help = spawnSync(process.execPath, [CLI, 'run', '--help'], { encoding: 'utf8', env });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: breakwater run -c PIPELINE\.yaml/);
  assert.match(help.stdout, /KAFKA_BROKERS/);
  assert.equal(spawnSync(process.execPath, [CLI, 'run'], { encoding: 'utf8', env }).status, 2);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, stringify({ name: 'bad', detector: { window_s: 'ten' } }));
  const r = spawnSync(process.execPath, [CLI, 'run', '-c', bad], { encoding: 'utf8', env });
  assert.equal(r.status, 78, r.stderr);
  assert.match(r.stderr, /detector\.window_s/);
});

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

async function startRun(config: string, port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'run', '-c', config], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false);
    if (ok) return { child, url };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`run did not come up: ${stderr}`);
    await sleep(100);
  }
}

async function stopRun(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<[undefined]>((r) => (timer = setTimeout(() => r([undefined]), 30_000)));
  const [code] = (await Promise.race([exited, timeout])) as [number | null | undefined];
  clearTimeout(timer);
  assert.notEqual(code, undefined, 'run stopped within 30 s of SIGTERM');
  children.delete(child);
  return code ?? null;
}

test('run: ships, detects and stores; /metrics and /healthz; SIGTERM drains and checkpoints; a restart resumes exactly', async () => {
  const log = join(dir, 'haproxy.log');
  const traffic = demoTrafficOptions({ durationS: 150, rate: 30 });
  traffic.incidents = [{ ...traffic.incidents[0], atS: 70, degradedS: 5, deadS: 10 }];
  const truth = await writeTrafficFile(log, traffic);
  appendFileSync(log, 'this is not an haproxy line\n\u0000\u0001 neither is this\n');
  const port = await freePort();
  const config = join(dir, 'pipeline.yaml');
  writeFileSync(
    config,
    stringify({
      name: 'run-cli-test',
      sources: { files: [log], start_at: 'beginning', checkpoint_file: join(dir, 'checkpoint.json'), host: 'test', poll_interval_ms: 50 },
      store: { data_dir: join(dir, 'data'), batch_ms: 200 },
      http: { port },
      hooks: { diagnostics: { enabled: false } },
    }),
  );

  // First run: SIGTERM in mid-stream. Everything the shipper checkpointed must be processed,
  // stored and its detector state saved before the process exits.
  let { child, url } = await startRun(config, port);
  while ((await metric(url, 'breakwater_process_events_total')) === 0) await sleep(20);
  assert.equal((await fetch(`${url}/readyz`)).status, 200);
  assert.match(await (await fetch(`${url}/metrics`)).text(), /^breakwater_ship_lines_read_total\{file="[^"]+"\} \d+$/m);
  assert.equal(await stopRun(child), 0);
  const checkpointOffset = () =>
    (JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { files: { offset: number }[] }).files[0].offset;
  const firstOffset = checkpointOffset();
  const remainingLines = readFileSync(log).subarray(firstOffset).toString('utf8').split('\n').filter(Boolean);
  const remaining = remainingLines.filter((l) => l.includes(' haproxy[')).length;

  // Second run resumes at the checkpoint, and reads what was appended meanwhile: no line twice, none lost.
  const extra = readFileSync(log, 'utf8').split('\n').filter((l) => / 200 /.test(l)).slice(0, 25);
  appendFileSync(log, extra.join('\n') + '\n');
  ({ child, url } = await startRun(config, port));
  const expected = remaining + extra.length;
  const deadline = Date.now() + 60_000;
  while ((await metric(url, 'breakwater_process_events_total')) < expected) {
    assert.ok(Date.now() < deadline, 'the rest processed within 60 s');
    await sleep(100);
  }
  await sleep(300);
  assert.equal(await metric(url, 'breakwater_process_events_total'), expected, 'nothing read twice');
  assert.equal(await stopRun(child), 0);
  assert.equal(checkpointOffset(), statSync(log).size, 'checkpoint at the end of the file');

  const store = await openStore({ dataDir: join(dir, 'data'), env });
  try {
    const [{ events }] = await store.query<{ events: string }>('SELECT count() AS events FROM haproxy_events FINAL');
    assert.equal(Number(events), truth.lines + extra.length);
    const [{ rejects }] = await store.query<{ rejects: string }>('SELECT count() AS rejects FROM rejects');
    assert.equal(Number(rejects), 2);
    // Baselines survived the restart (detector state file): the incident is detected as one alert.
    const alerts = await store.query<{ state: string; server: string }>('SELECT state, server FROM alerts ORDER BY at');
    assert.deepEqual(alerts.map((a) => `${a.state} ${a.server}`), ['firing app2', 'resolved app2']);
  } finally {
    await store.close();
  }
});

test('run: kill -9 in mid-stream loses nothing: the restart resumes before whatever was not stored yet', async () => {
  const sub = mkdtempSync(join(dir, 'kill-'));
  const log = join(sub, 'haproxy.log');
  const truth = await writeTrafficFile(log, demoTrafficOptions({ durationS: 200, rate: 50, incidents: [] }));
  const port = await freePort();
  const config = join(sub, 'pipeline.yaml');
  writeFileSync(
    config,
    stringify({
      name: 'run-cli-kill',
      sources: { files: [log], start_at: 'beginning', checkpoint_file: join(sub, 'checkpoint.json'), host: 'test', read_chunk_bytes: 65536 },
      store: { data_dir: join(sub, 'data') },
      http: { port },
      hooks: { diagnostics: { enabled: false } },
    }),
  );
  const first = await startRun(config, port);
  while ((await metric(first.url, 'breakwater_process_events_total')) === 0) await sleep(10);
  const killed = once(first.child, 'exit');
  first.child.kill('SIGKILL');
  await killed;
  children.delete(first.child);

  const { child } = await startRun(config, port);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const cpPath = join(sub, 'checkpoint.json');
    const cp = existsSync(cpPath) ? (JSON.parse(readFileSync(cpPath, 'utf8')) as { files: { offset: number }[] }) : null;
    if (cp?.files[0]?.offset === statSync(log).size) break;
    assert.ok(Date.now() < deadline, 'the restarted run reached the end of the file within 60 s');
    await sleep(200);
  }
  assert.equal(await stopRun(child), 0);
  const store = await openStore({ dataDir: join(sub, 'data'), env });
  try {
    const [{ n }] = await store.query<{ n: string }>('SELECT count() AS n FROM haproxy_events FINAL');
    assert.equal(Number(n), truth.lines, 'every line stored exactly once (by event_id)');
  } finally {
    await store.close();
  }
});
