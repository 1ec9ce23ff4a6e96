/**
 * `npm run bench:parse`: parsing throughput on 1 M realistic syslog-prefixed httplog lines.
 *   (a) the parser alone, in process, one core
 *   (a') the lean summary scan alone, in process (what `parse --summary` runs per line)
 *   (b) `breakwater parse --summary FILE` as a whole process (node bin/breakwater.js; builds
 *       dist/ first when it is missing)
 *   (c) the usual one-regex-with-named-groups parser (bench/regex-baseline.ts), in process
 *   (d) `halog -srv` when installed, and a check that per-server request and 5xx counts of (b)
 *       equal halog's
 * Prints a table and one JSON line. Env: BENCH_LINES (default 1000000), BENCH_RUNS (best of,
 * default 3), BENCH_FILE (reuse a log file instead of generating one).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParser } from '../src/haproxy/parser.js';
import { SummaryBuilder } from '../src/analyze/summary.js';
import { SummaryScan } from '../src/analyze/summary-scan.js';
import { generateHttpLogLines } from './gen-lines.js';
import { regexParse } from './regex-baseline.js';

const ROOT = join(import.meta.dirname, '..');
const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function generate(path: string, count: number): void {
  const fd = openSync(path, 'w');
  let batch: string[] = [];
  for (const line of generateHttpLogLines(count)) {
    batch.push(line);
    if (batch.length === 10_000) {
      writeSync(fd, batch.join('\n') + '\n');
      batch = [];
    }
  }
  if (batch.length > 0) writeSync(fd, batch.join('\n') + '\n');
  closeSync(fd);
}

/** Best wall-clock milliseconds of `runs` calls. */
function best(runs: number, fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

function findHalog(): string | null {
  const candidates = ['/usr/sbin/halog', '/usr/bin/halog', '/usr/lib/haproxy/halog', '/usr/local/bin/halog', '/usr/local/sbin/halog'];
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(join(dir, 'halog'));
  return candidates.find((p) => existsSync(p)) ?? null;
}

interface HalogRow {
  requests: number;
  c5: number;
}

/** `halog -srv` output: `#srv_name 1xx 2xx 3xx 4xx 5xx other tot_req req_ok pct_ok avg_ct avg_rt`. */
function parseHalog(out: string): Map<string, HalogRow> {
  const rows = new Map<string, HalogRow>();
  for (const line of out.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(' ');
    rows.set(f[0], { requests: Number(f[7]), c5: Number(f[5]) });
  }
  return rows;
}

function run(cmd: string, args: string[], stdinFile?: string): { out: string; ms: number; status: number | null } {
  const fd = stdinFile === undefined ? 'ignore' : openSync(stdinFile, 'r');
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: [fd, 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, cwd: ROOT });
  const ms = performance.now() - t0;
  if (typeof fd === 'number') closeSync(fd);
  if (r.status !== 0) process.stderr.write(r.stderr.toString());
  return { out: r.stdout.toString(), ms, status: r.status };
}

const dir = mkdtempSync(join(tmpdir(), 'bw-bench-'));
try {
  const file = process.env.BENCH_FILE ?? join(dir, 'haproxy.log');
  if (process.env.BENCH_FILE === undefined) {
    process.stderr.write(`generating ${LINES} lines …\n`);
    generate(file, LINES);
  }
  const bytes = statSync(file).size;
  const text = readFileSync(file);
  const lines = text.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const n = lines.length;
  process.stderr.write(`${n} lines, ${(bytes / 1e6).toFixed(0)} MB; best of ${RUNS} runs each\n`);

  const parse = createParser();
  let parsed = 0;
  const parserMs = best(RUNS, () => {
    parsed = 0;
    for (let i = 0; i < n; i++) if (parse(lines[i]).ok) parsed++;
  });

  let leanEvents = 0;
  const leanMs = best(RUNS, () => {
    const b = new SummaryBuilder();
    const scan = new SummaryScan(b, parse, true, () => {});
    scan.begin(file);
    for (let i = 0; i < text.length; i += 1 << 20) scan.chunk(text.subarray(i, i + (1 << 20)));
    scan.end();
    leanEvents = b.events;
  });

  let matched = 0;
  const regexMs = best(RUNS, () => {
    matched = 0;
    for (let i = 0; i < n; i++) if (regexParse(lines[i]) !== null) matched++;
  });

  if (!existsSync(join(ROOT, 'dist/cli.js'))) {
    process.stderr.write('dist/ missing: npm run build …\n');
    spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  let summaryOut = '';
  const summaryMs = best(RUNS, () => {
    const r = run(process.execPath, [join(ROOT, 'bin/breakwater.js'), 'parse', '--summary', file]);
    summaryOut = r.out;
  });
  const summary = JSON.parse(summaryOut) as { events: number; servers: Record<string, { requests: number; '5xx': number }> };

  const halog = findHalog();
  let halogMs: number | null = null;
  let check = 'SKIPPED (halog not installed)';
  const mismatches: string[] = [];
  if (halog !== null) {
    let halogOut = '';
    halogMs = best(RUNS, () => {
      halogOut = run(halog, ['-srv', '-q'], file).out;
    });
    const rows = parseHalog(halogOut);
    const keys = new Set([...rows.keys(), ...Object.keys(summary.servers).filter((k) => summary.servers[k].requests > 0)]);
    for (const key of [...keys].sort()) {
      const h = rows.get(key) ?? { requests: 0, c5: 0 };
      const s = summary.servers[key] ?? { requests: 0, '5xx': 0 };
      if (h.requests !== s.requests || h.c5 !== s['5xx']) {
        mismatches.push(`${key}: halog ${h.requests} requests ${h.c5} 5xx, breakwater ${s.requests} requests ${s['5xx']} 5xx`);
      }
    }
    check = mismatches.length === 0 ? `OK (${keys.size} servers: requests and 5xx equal)` : 'MISMATCH';
  }

  const lps = (ms: number | null) => (ms === null ? null : Math.round(n / (ms / 1000)));
  const rows: [string, number | null, string][] = [
    ['parser alone (in process, 1 core)', parserMs, `${parsed} events; target >= 3,000,000 lines/s`],
    ['lean summary scan (in process)', leanMs, `${leanEvents} events`],
    ['breakwater parse --summary (process)', summaryMs, `${summary.events} events`],
    ['regex baseline (in process)', regexMs, `${matched} matched`],
    ['halog -srv (process)', halogMs, halog ?? 'not installed'],
  ];
  const fmt = (v: number | null) => (v === null ? '-' : v.toLocaleString('en-US'));
  console.log(`\n${'what'.padEnd(38)} ${'ms'.padStart(8)} ${'lines/s'.padStart(12)}  notes`);
  for (const [name, ms, note] of rows) {
    console.log(`${name.padEnd(38)} ${(ms === null ? '-' : ms.toFixed(0)).padStart(8)} ${fmt(lps(ms)).padStart(12)}  ${note}`);
  }
  const ratio = halogMs === null ? null : halogMs / summaryMs;
  if (ratio !== null) console.log(`\nparse --summary / halog -srv lines/s: ${(ratio * 100).toFixed(0)} % (target >= 35 %)`);
  console.log(`per-server requests and 5xx vs halog: ${check}`);
  for (const m of mismatches) console.log(`  ${m}`);
  console.log(JSON.stringify({
    bench: 'parse', lines: n, bytes, runs: RUNS,
    parser_lps: lps(parserMs), lean_scan_lps: lps(leanMs), summary_process_lps: lps(summaryMs),
    regex_lps: lps(regexMs), halog_lps: lps(halogMs), summary_vs_halog: ratio === null ? null : Math.round(ratio * 1000) / 1000,
    halog_check: halog === null ? 'skipped' : mismatches.length === 0 ? 'ok' : 'mismatch',
  }));
  if (mismatches.length > 0) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
