/**
 * `breakwater parse` through the built CLI (run `npm run build` first; `npm test` does).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const CLI = join(import.meta.dirname, '../../../bin/breakwater.js');
const EXAMPLE = join(import.meta.dirname, '../../../examples/haproxy.log');

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bw-parse-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [CLI, 'parse', ...args], { input, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const events = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));

interface Req {
  backend: string;
  server: string;
  status: number;
  Tc?: number;
  Ta?: number;
  state?: string;
  retries?: number;
  second?: number;
}

/** One syslog-prefixed httplog line, built from its parts. */
function httpLine(r: Req): string {
  const s = String(r.second ?? 0).padStart(2, '0');
  const Tc = r.Tc ?? 1;
  const Ta = r.Ta ?? 40;
  const Tr = Tc === -1 ? -1 : 20;
  return `Nov 20 09:00:${s} lb1 haproxy[812]: 192.0.2.10:4410${s.at(-1)} [20/Nov/2026:09:00:${s}.250] www~ ` +
    `${r.backend}/${r.server} 0/0/${Tc}/${Tr}/${Ta} ${r.status} 512 - - ${r.state ?? '----'} 10/10/3/1/${r.retries ?? 0} 0/0 "GET /x HTTP/1.1"`;
}

const TCP_LINE = 'Nov 20 09:00:05 lb1 haproxy[812]: 192.0.2.11:50500 [20/Nov/2026:09:00:05.001] mysql db/db-01 0/-1/3004 0 SC 12/3/3/0/3 0/0';
const DOWN_LINE = 'Nov 20 09:00:06 lb1 haproxy[812]: Server app/a2 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.';
const GARBAGE = 'this is not an haproxy line';

test('one JSON object per parsed line, with its line number; rejects on stderr with line numbers', () => {
  const path = file('mixed.log', [httpLine({ backend: 'app', server: 'a1', status: 200 }), GARBAGE, '', httpLine({ backend: 'app', server: 'a2', status: 503, second: 3 })].join('\n') + '\n');
  const r = cli([path]);
  assert.equal(r.status, 0, r.stderr);
  const out = events(r.stdout);
  assert.deepEqual(out.map((e) => e.line), [1, 4]);
  assert.deepEqual(out.map((e) => [e.backend, e.server, e.status]), [['app', 'a1', 200], ['app', 'a2', 503]]);
  assert.equal(out[0].source, undefined, 'a single input carries no source');
  assert.equal(out[1].raw_offset, Buffer.byteLength(httpLine({ backend: 'app', server: 'a1', status: 200 }) + '\n' + GARBAGE + '\n\n'));
  assert.match(r.stderr, new RegExp(`^${path}:2: \\S.*$`, 'm'));
  assert.match(r.stderr, new RegExp(`^${path}:3: \\S.*$`, 'm'));
  assert.match(r.stderr, /4 lines, 2 events, 2 rejects/);
});

test('several inputs: each object names its source, line numbers restart per input', () => {
  const a = file('a.log', `${httpLine({ backend: 'app', server: 'a1', status: 200 })}\n${httpLine({ backend: 'app', server: 'a1', status: 304 })}\n`);
  const b = file('b.log', `${GARBAGE}\n${httpLine({ backend: 'api', server: 'p1', status: 404 })}`);
  const r = cli([a, b]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(events(r.stdout).map((e) => [e.source, e.line, e.status]), [[a, 1, 200], [a, 2, 304], [b, 2, 404]]);
  assert.match(r.stderr, new RegExp(`^${b}:1: `, 'm'));
});

test('stdin as - (and as the default input)', () => {
  const input = `${httpLine({ backend: 'app', server: 'a1', status: 200 })}\n${GARBAGE}\n`;
  for (const args of [['-'], []]) {
    const r = cli(args, input);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(events(r.stdout).map((e) => e.line), [1]);
    assert.match(r.stderr, /^<stdin>:2: /m);
  }
});

test('an unreadable input: the others are processed, a clear message, exit 66', () => {
  const good = file('good.log', httpLine({ backend: 'app', server: 'a1', status: 200 }) + '\n');
  const locked = file('locked.log', httpLine({ backend: 'app', server: 'a1', status: 200 }) + '\n');
  chmodSync(locked, 0o000);
  const missing = join(dir, 'missing.log');
  const r = cli([missing, good, dir]);
  assert.equal(r.status, 66);
  assert.deepEqual(events(r.stdout).map((e) => e.source), [good]);
  assert.match(r.stderr, new RegExp(`cannot read ${missing}: no such file`));
  assert.match(r.stderr, new RegExp(`cannot read ${dir}: is a directory`));
  // Root reads anything: only check permissions when they apply.
  if (process.getuid?.() !== 0) assert.match(cli([locked]).stderr, /permission denied/);
  const s = cli(['--summary', missing, good]);
  assert.equal(s.status, 66);
  assert.equal(JSON.parse(s.stdout).events, 1);
});

test('gzip input (by content, whatever the name), same events as plain; corrupt gzip is unreadable', () => {
  const text = [1, 2, 3].map((i) => httpLine({ backend: 'app', server: `a${i}`, status: 200, second: i })).join('\n') + '\n';
  const plain = cli([file('p.log', text)]);
  const gz = cli([file('p.log.gz', gzipSync(text))]);
  const strip = (s: string) => events(s).map(({ raw_offset: _o, ...e }) => e);
  assert.equal(gz.status, 0, gz.stderr);
  assert.deepEqual(strip(gz.stdout), strip(plain.stdout));
  assert.equal(events(cli([file('p.1', gzipSync(text))]).stdout).length, 3);
  const broken = gzipSync(text).subarray(0, 30);
  const r = cli([file('broken.gz', broken)]);
  assert.equal(r.status, 66);
  assert.match(r.stderr, /cannot read .*broken\.gz/);
});

test('--summary: per-server counts equal the ones computed from the fixture lines', () => {
  const reqs: Req[] = [
    { backend: 'app', server: 'a1', status: 200, Tc: 2, Ta: 30 },
    { backend: 'app', server: 'a1', status: 200, Tc: 4, Ta: 50 },
    { backend: 'app', server: 'a1', status: 302, Tc: 0, Ta: 10 },
    { backend: 'app', server: 'a1', status: 404, Tc: 1, Ta: 20 },
    { backend: 'app', server: 'a1', status: 500, Tc: 1, Ta: 90 },
    { backend: 'app', server: 'a2', status: 503, Tc: -1, Ta: 9002, state: 'SC--', retries: 3 },
    { backend: 'app', server: 'a2', status: 503, Tc: -1, Ta: 3001, state: 'SC--', retries: 1 },
    { backend: 'app', server: 'a2', status: 200, Tc: 3, Ta: 60 },
    { backend: 'app', server: '<NOSRV>', status: 503, Tc: -1, Ta: 0, state: 'SC--' },
  ];
  const lines = reqs.map((r, i) => httpLine({ ...r, second: i }));
  lines.splice(3, 0, GARBAGE);
  lines.push(TCP_LINE, DOWN_LINE);
  const r = cli(['--summary', file('summary.log', lines.join('\n') + '\n')]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1, 'one JSON object');
  const got = JSON.parse(r.stdout);
  assert.equal(got.lines, lines.length);
  assert.equal(got.rejects, 1);
  assert.equal(got.events, lines.length - 1);
  for (const key of ['app/a1', 'app/a2', 'app/<NOSRV>']) {
    const mine = reqs.filter((q) => `${q.backend}/${q.server}` === key);
    const cls = (c: number) => mine.filter((q) => Math.floor(q.status / 100) === c).length;
    const mean = (xs: number[]) => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10 : null);
    const s = got.servers[key];
    assert.equal(s.requests, mine.length, key);
    assert.deepEqual([s['2xx'], s['3xx'], s['4xx'], s['5xx']], [cls(2), cls(3), cls(4), cls(5)], key);
    assert.equal(s.conn_failures, mine.filter((q) => q.state === 'SC--').length, key);
    assert.equal(s.retries, mine.reduce((a, q) => a + (q.retries ?? 0), 0), key);
    assert.equal(s.avg_Tc, mean(mine.map((q) => q.Tc ?? 1).filter((t) => t >= 0)), key);
    assert.equal(s.avg_Ta, mean(mine.map((q) => q.Ta ?? 40)), key);
  }
  // tcp sessions and health lines are events, not requests.
  assert.deepEqual([got.servers['db/db-01'].requests, got.servers['db/db-01'].tcp_sessions, got.servers['db/db-01'].conn_failures], [0, 1, 1]);
  assert.deepEqual([got.servers['app/a2'].state_changes, got.servers['app/a2'].last_state], [1, 'DOWN']);
  assert.match(r.stderr, /summary\.log:4: /);
});

test('--summary on examples/haproxy.log: requests and 5xx per server as halog -srv counts them', () => {
  // halog's rule (admin/halog/halog.c): field 7 starts with "[0-3", field 10 has five timers;
  // the server is field 9, the status class the first digit of field 11.
  const expected = new Map<string, { requests: number; c5: number }>();
  const lines = readFileSync(EXAMPLE, 'utf8').split('\n').filter((l) => l !== '');
  for (const line of lines) {
    const f = line.split(/ +/);
    if (!/^\[[0-3]/.test(f[6] ?? '') || (f[9] ?? '').split('/').length < 5) continue;
    const e = expected.get(f[8]) ?? { requests: 0, c5: 0 };
    e.requests++;
    if (f[10].startsWith('5')) e.c5++;
    expected.set(f[8], e);
  }
  const r = cli(['--summary', EXAMPLE]);
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  assert.equal(got.lines, lines.length);
  const withRequests = Object.entries(got.servers as Record<string, { requests: number; '5xx': number }>).filter(([, s]) => s.requests > 0);
  assert.deepEqual(
    Object.fromEntries(withRequests.map(([k, s]) => [k, { requests: s.requests, c5: s['5xx'] }])),
    Object.fromEntries(expected),
  );
  const garbageLine = lines.findIndex((l) => !l.includes('haproxy[')) + 1;
  assert.ok(garbageLine > 0);
  assert.match(r.stderr, new RegExp(`haproxy\\.log:${garbageLine}: `));
});

test('--summary of a large file on several threads: same counts, same rejects with their real line numbers', () => {
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    lines.push(i % 997 === 5 ? `${GARBAGE} ${i}` : httpLine({ backend: 'app', server: `a${i % 5}`, status: i % 13 === 0 ? 503 : 200, second: i % 60 }));
  }
  lines.push(TCP_LINE, DOWN_LINE, 'unterminated last line');
  const path = file('parts.log', lines.join('\n'));
  const run = (threads: string) => {
    const r = spawnSync(process.execPath, [CLI, 'parse', '--summary', path], {
      env: { ...process.env, BREAKWATER_SUMMARY_THREADS: threads, BREAKWATER_PARALLEL_MIN_BYTES: '1' },
    });
    return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  };
  const one = run('1');
  const three = run('3');
  assert.equal(three.status, 0, three.stderr);
  assert.equal(three.stdout, one.stdout);
  assert.equal(three.stderr, one.stderr);
  const expectedRejects = lines.map((l, i) => (l.startsWith('this is not') || l.startsWith('unterminated') ? i + 1 : 0)).filter(Boolean);
  assert.deepEqual([...three.stderr.matchAll(/parts\.log:(\d+): /g)].map((m) => Number(m[1])), expectedRejects);
  assert.equal(JSON.parse(three.stdout).lines, lines.length);
});

test('--format tcp and a custom log-format string', () => {
  const tcpFile = file('tcp.log', `${TCP_LINE}\n${httpLine({ backend: 'app', server: 'a1', status: 200 })}\n`);
  const tcp = cli(['--format', 'tcp', tcpFile]);
  const out = events(tcp.stdout);
  assert.deepEqual(out.map((e) => [e.line, e.kind, e.backend, e.server, e.conn_failure]), [[1, 'tcp', 'db', 'db-01', true]]);
  assert.deepEqual(out[0].timers, { Tw: 0, Tc: -1, Tt: 3004 });
  assert.match(tcp.stderr, /tcp\.log:2: /);

  const custom = file('custom.log', 'Nov 20 09:00:00 lb1 haproxy[1]: 192.0.2.1:5000 [20/Nov/2026:09:00:00.120] fe be/s1 503 "GET /health HTTP/1.1"\n');
  const r = cli(['--format', '%ci:%cp [%tr] %ft %b/%s %ST %{+Q}r', custom]);
  assert.equal(r.status, 0, r.stderr);
  const [e] = events(r.stdout);
  assert.deepEqual([e.backend, e.server, e.status, e.uri], ['be', 's1', 503, '/health']);
});

test('--timezone: accept dates are read in that zone and printed in UTC', () => {
  const path = file('tz.log', httpLine({ backend: 'app', server: 'a1', status: 200 }) + '\n');
  const utc = events(cli([path]).stdout)[0].timestamp;
  assert.equal(utc, '2026-11-20T09:00:00.250Z');
  assert.equal(events(cli(['--timezone', 'Europe/Paris', path]).stdout)[0].timestamp, '2026-11-20T08:00:00.250Z');
  assert.equal(events(cli(['--timezone', 'America/New_York', path]).stdout)[0].timestamp, '2026-11-20T14:00:00.250Z');
});

test('bad options are usage errors (exit 2)', () => {
  assert.equal(cli(['--timezone', 'Mars/Olympus', EXAMPLE]).status, 2);
  assert.equal(cli(['--format', 'nosuchformat', EXAMPLE]).status, 2);
  assert.equal(cli(['-', '-']).status, 2);
  const h = cli(['--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /--summary/);
});

test('a reader that goes away (parse big.log | head): clean exit, no stack trace', async () => {
  const lines = Array.from({ length: 1000 }, (_, i) => httpLine({ backend: 'app', server: `a${i % 7}`, status: 200, second: i % 60 }));
  const big = file('big.log', (lines.join('\n') + '\n').repeat(60));
  const child = spawn(process.execPath, [CLI, 'parse', big], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const first = await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d))));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.match(first, /^\{"line":1,/);
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /Error|at /);
});
