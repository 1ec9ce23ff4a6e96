/**
 * `npm run bench:parse`: parsing throughput on 1 M realistic syslog-prefixed httplog lines.
 *   (a) the parser alone, in process, one core, on lines decoded one by one from the file's
 *       bytes (flat strings, as the CLI and the shipper hand them over)
 *   (a') the lean summary scan alone, in process (what `parse --summary` runs per line)
 *   (b) `breakwater parse --summary FILE` as a whole process (node bin/breakwater.js; builds
 *       dist/ first when it is missing), alternated with (d) run for run
 *   (c) the usual one-regex-with-named-groups parser (bench/regex-baseline.ts), in process
 *   (d) `halog -srv` when installed, and a check that per-server request and 5xx counts of (b)
 *       equal halog's
 * In-process figures are the median of BENCH_RUNS runs, wall clock and CPU time (CPU time per
 * line depends much less on other jobs than lines/s); the summary process reports its own CPU
 * time (all threads) on exit, in 3 runs of its own after the pairs; (b)/(d) is the median, min and max of
 * BENCH_PAIRS back-to-back pairs. With --instructions (and valgrind installed) it also counts
 * instructions per line under callgrind for (a) and (a'): the difference between a run over
 * 3 passes and one over 1 pass of the same lines, divided by 2 passes, so start-up and JIT
 * warm-up cancel out and the figure does not depend on the machine's load.
 * Prints a table and one JSON line. Env: BENCH_LINES (default 1000000), BENCH_RUNS (default 5),
 * BENCH_PAIRS (default 7), BENCH_FILE (reuse a log file instead of generating one).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParser } from '../src/haproxy/parser.js';
import { SummaryBuilder } from '../src/analyze/summary.js';
import { LazyParser, SummaryScan } from '../src/analyze/summary-scan.js';
import { writeHttpLogFile } from './gen-lines.js';
import { regexParse } from './regex-baseline.js';

const ROOT = join(import.meta.dirname, '..');
const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 7);
/** Lines per pass of the callgrind counts (callgrind runs some 50 times slower). */
const COUNT_LINES = 20_000;


/** The lines of `text`, each decoded on its own (no slices of one big string). */
function decodeLines(text: Buffer, max = Infinity): string[] {
  const lines: string[] = [];
  let pos = 0;
  while (pos < text.length && lines.length < max) {
    let nl = text.indexOf(10, pos);
    if (nl < 0) nl = text.length;
    lines.push(text.toString('utf8', pos, nl));
    pos = nl + 1;
  }
  return lines;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median wall-clock milliseconds and median CPU microseconds (this process, all threads) of `runs` calls. */
function timed(runs: number, fn: () => void): { ms: number; cpuUs: number } {
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push(c.user + c.system);
  }
  return { ms: median(ms), cpuUs: median(cpu) };
}

/** Makes a node child print its CPU time (all threads) on stderr when it exits. */
const REPORT_CPU = 'data:text/javascript,process.on("exit",()=>{const u=process.cpuUsage();process.stderr.write("\\nbench-cpu-us "+(u.user+u.system)+"\\n")})';

function parseAll(lines: string[], passes: number): number {
  const parse = createParser();
  let parsed = 0;
  for (let r = 0; r < passes; r++) for (let i = 0; i < lines.length; i++) if (parse(lines[i]).ok) parsed++;
  return parsed;
}

function leanScan(text: Buffer, passes: number): number {
  const parse = createParser();
  let events = 0;
  for (let r = 0; r < passes; r++) {
    const b = new SummaryBuilder();
    const scan = new SummaryScan(b, new LazyParser({}, parse), true, () => {});
    scan.begin('bench');
    for (let i = 0; i < text.length; i += 1 << 20) scan.chunk(text.subarray(i, i + (1 << 20)));
    scan.end();
    events += b.events;
  }
  return events;
}

function findOnPath(name: string, extra: string[]): string | null {
  const candidates = [...extra];
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(join(dir, name));
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

function run(cmd: string, args: string[], stdinFile?: string): { out: string; err: string; ms: number; status: number | null } {
  const fd = stdinFile === undefined ? 'ignore' : openSync(stdinFile, 'r');
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: [fd, 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, cwd: ROOT });
  const ms = performance.now() - t0;
  if (typeof fd === 'number') closeSync(fd);
  if (r.status !== 0) process.stderr.write(r.stderr.toString());
  return { out: r.stdout.toString(), err: r.stderr.toString(), ms, status: r.status };
}

/** Instructions per line of `what` under callgrind (3 passes minus 1 pass, over 2 passes). */
function instructionsPerLine(valgrind: string, what: 'parser' | 'lean', file: string): number | null {
  const count = (passes: number): number | null => {
    const out = join(tmpdir(), `bw-callgrind-${process.pid}-${what}-${passes}.out`);
    const r = spawnSync(valgrind, ['--tool=callgrind', '--smc-check=all', `--callgrind-out-file=${out}`, process.execPath,
      '--import', 'tsx', join(import.meta.dirname, 'parse.ts'), '--count', what, file, String(passes)], { cwd: ROOT, encoding: 'utf8' });
    rmSync(out, { force: true });
    const m = /Collected : (\d+)/.exec(r.stderr);
    return m === null ? null : Number(m[1]);
  };
  const one = count(1);
  const three = count(3);
  return one === null || three === null ? null : Math.round((three - one) / (2 * COUNT_LINES));
}

/** Child mode for callgrind: `--count parser|lean FILE PASSES` over the first COUNT_LINES lines. */
function countChild(what: string, file: string, passes: number): void {
  const lines = decodeLines(readFileSync(file), COUNT_LINES);
  if (what === 'parser') parseAll(lines, passes);
  else leanScan(Buffer.from(lines.join('\n') + '\n'), passes);
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-'));
  try {
    const file = process.env.BENCH_FILE ?? join(dir, 'haproxy.log');
    if (process.env.BENCH_FILE === undefined) {
      process.stderr.write(`generating ${LINES} lines …\n`);
      writeHttpLogFile(file, LINES);
    }
    const bytes = statSync(file).size;
    const text = readFileSync(file);
    const lines = decodeLines(text);
    const n = lines.length;
    const load = () => loadavg()[0].toFixed(2);
    const loadBefore = load();
    process.stderr.write(`${n} lines, ${(bytes / 1e6).toFixed(0)} MB; median of ${RUNS} runs, ${PAIRS} summary/halog pairs; load ${loadBefore}\n`);

    let parsed = 0;
    const parser = timed(RUNS, () => {
      parsed = parseAll(lines, 1);
    });
    let leanEvents = 0;
    const lean = timed(RUNS, () => {
      leanEvents = leanScan(text, 1);
    });
    let matched = 0;
    const regex = timed(RUNS, () => {
      matched = 0;
      for (let i = 0; i < n; i++) if (regexParse(lines[i]) !== null) matched++;
    });

    if (!existsSync(join(ROOT, 'dist/cli.js'))) {
      process.stderr.write('dist/ missing: npm run build …\n');
      spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    }
    const halog = findOnPath('halog', ['/usr/sbin/halog', '/usr/bin/halog', '/usr/lib/haproxy/halog', '/usr/local/bin/halog', '/usr/local/sbin/halog']);
    const summaryRuns: number[] = [];
    const summaryCpu: number[] = [];
    const halogRuns: number[] = [];
    const ratios: number[] = [];
    let summaryOut = '';
    let halogOut = '';
    const summaryArgs = [join(ROOT, 'bin/breakwater.js'), 'parse', '--summary', file];
    for (let i = 0; i < PAIRS; i++) {
      const s = run(process.execPath, summaryArgs);
      summaryOut = s.out;
      summaryRuns.push(s.ms);
      if (halog !== null) {
        const h = run(halog, ['-srv', '-q'], file);
        halogOut = h.out;
        halogRuns.push(h.ms);
        ratios.push(h.ms / s.ms);
      }
    }
    // CPU time in runs of their own: the reporting module is loaded by every thread of the child.
    for (let i = 0; i < 3; i++) {
      const cpu = /bench-cpu-us (\d+)/.exec(run(process.execPath, ['--import', REPORT_CPU, ...summaryArgs]).err);
      if (cpu !== null) summaryCpu.push(Number(cpu[1]));
    }
    const summaryMs = median(summaryRuns);
    const halogMs = halog === null ? null : median(halogRuns);
    const summary = JSON.parse(summaryOut) as { events: number; servers: Record<string, { requests: number; '5xx': number }> };

    let check = 'SKIPPED (halog not installed)';
    const mismatches: string[] = [];
    if (halog !== null) {
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

    const counting = process.argv.includes('--instructions');
    const valgrind = counting ? findOnPath('valgrind', []) : null;
    if (counting && valgrind === null) process.stderr.write('--instructions: valgrind not installed, skipped\n');
    let parserInstr: number | null = null;
    let leanInstr: number | null = null;
    if (valgrind !== null) {
      process.stderr.write(`counting instructions under callgrind (${COUNT_LINES} lines, 1 and 3 passes) …\n`);
      parserInstr = instructionsPerLine(valgrind, 'parser', file);
      leanInstr = instructionsPerLine(valgrind, 'lean', file);
    }

    const summaryCpuUs = summaryCpu.length === 0 ? null : median(summaryCpu);
    const lps = (ms: number | null) => (ms === null ? null : Math.round(n / (ms / 1000)));
    const perLine = (us: number | null) => (us === null ? null : Math.round((us / n) * 1000) / 1000);
    const fmt = (v: number | null) => (v === null ? '-' : v.toLocaleString('en-US'));
    const instr = (v: number | null) => (v === null ? '' : `; ${fmt(v)} instructions/line (callgrind)`);
    const rows: [string, number | null, number | null, string][] = [
      ['parser alone (in process, 1 core)', parser.ms, parser.cpuUs, `${parsed} events; target >= 3,000,000 lines/s${instr(parserInstr)}`],
      ['lean summary scan (in process, 1 core)', lean.ms, lean.cpuUs, `${leanEvents} events${instr(leanInstr)}`],
      ['breakwater parse --summary (process)', summaryMs, summaryCpuUs, `${summary.events} events; CPU: all its threads, start-up included, 3 more runs`],
      ['regex baseline (in process)', regex.ms, regex.cpuUs, `${matched} matched`],
      ['halog -srv (process)', halogMs, null, halog ?? 'not installed'],
    ];
    console.log(`\n${'what (median)'.padEnd(40)} ${'ms'.padStart(8)} ${'lines/s'.padStart(12)} ${'CPU us/line'.padStart(12)}  notes`);
    for (const [name, ms, cpuUs, note] of rows) {
      console.log(`${name.padEnd(40)} ${(ms === null ? '-' : ms.toFixed(0)).padStart(8)} ${fmt(lps(ms)).padStart(12)} ` +
        `${(cpuUs === null ? '-' : perLine(cpuUs)!.toFixed(3)).padStart(12)}  ${note}`);
    }
    const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
    const ratio = ratios.length === 0 ? null : median(ratios);
    if (ratio !== null) {
      console.log(`\nparse --summary / halog -srv lines/s over ${ratios.length} back-to-back pairs: median ${pct(ratio)}, ` +
        `min ${pct(Math.min(...ratios))}, max ${pct(Math.max(...ratios))} (target >= 35 %)`);
    }
    console.log(`per-server requests and 5xx vs halog: ${check}`);
    for (const m of mismatches) console.log(`  ${m}`);
    console.log(`load average (1 min): ${loadBefore} before, ${load()} after`);
    const round3 = (v: number) => Math.round(v * 1000) / 1000;
    console.log(JSON.stringify({
      bench: 'parse', lines: n, bytes, runs: RUNS, pairs: PAIRS, load_before: Number(loadBefore), load_after: Number(load()),
      parser_lps: lps(parser.ms), parser_cpu_us_per_line: perLine(parser.cpuUs), parser_instructions_per_line: parserInstr,
      lean_scan_lps: lps(lean.ms), lean_cpu_us_per_line: perLine(lean.cpuUs), lean_instructions_per_line: leanInstr,
      summary_process_lps: lps(summaryMs), summary_process_cpu_us_per_line: perLine(summaryCpuUs),
      regex_lps: lps(regex.ms), regex_cpu_us_per_line: perLine(regex.cpuUs), halog_lps: lps(halogMs),
      summary_vs_halog: ratio === null ? null : round3(ratio),
      summary_vs_halog_min: ratio === null ? null : round3(Math.min(...ratios)),
      summary_vs_halog_max: ratio === null ? null : round3(Math.max(...ratios)),
      halog_check: halog === null ? 'skipped' : mismatches.length === 0 ? 'ok' : 'mismatch',
    }));
    if (mismatches.length > 0) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const countAt = process.argv.indexOf('--count');
if (countAt >= 0) countChild(process.argv[countAt + 1], process.argv[countAt + 2], Number(process.argv[countAt + 3]));
else main();
