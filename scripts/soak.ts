/**
 * Soak and chaos run of the fleet on the local services (`npm run soak -- --minutes N [--rate L]`):
 * generated httplog lines appended to two log files, one `breakwater ship` and two
 * `breakwater process` (one consumer group) as child processes of the CLI from source, the
 * ClickHouse server as the store. On a seeded schedule (the seed is printed; --seed replays it):
 * kill -9 the shipper or a processor and restart it, rotate a log (rename + create, or
 * copytruncate), stop Kafka or ClickHouse for 10-20 s (scripts/services.sh). One status line a
 * minute; after the writing stops and the pipeline drains, the checks: every written line is
 * stored (per file identity: the event ids src/ship/identity.ts gives its lines), raw duplicates,
 * the rollup's uniqExactMerge counts equal the distinct events, no child died unasked, RSS of each
 * child first vs last quarter. Prints a JSON summary line last; exits 0 only when nothing was lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, appendFileSync, copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { stringify } from 'yaml';
import { TOPICS } from '../src/bus/bus.js';
import { seededRandom, type Rng } from '../src/demo/random.js';
import { eventIdPrefix, identify } from '../src/ship/identity.js';
import { generateHttpLogLines } from '../bench/gen-lines.js';
import { clickhouseUrl, kafkaBrokers, uniqueName } from '../test/support/services.js';
import { dropTestResources } from '../test/support/cleanup.js';
import { servicesScript, startService, stopService, type ServiceName } from '../test/support/service-control.js';

const USAGE = `usage: npm run soak -- [--minutes N] [--rate LINES_PER_S] [--seed N] [--drain-s N] [--keep]

  --minutes N     how long lines are written (default 10)
  --rate L        lines per second over both files (default 2000)
  --seed N        chaos schedule seed (default: random, printed)
  --drain-s N     longest wait for the pipeline to catch up after writing stops (default 240)
  --keep          keep the work directory, topics and database (default: removed when nothing was lost)
Needs the local services (npm run services:up): it stops and starts Kafka and ClickHouse.`;

const ENTRY = join(import.meta.dirname, '..', 'test', 'integration', 'ship', 'cli-entry.ts');
const HOST = 'soak';
const FINGERPRINT_BYTES = 1024;
/** Lines written at once when a file is (re)created: more than FINGERPRINT_BYTES, so its identity is fixed at first sight. */
const FIRST_LINES = 12;
const SAMPLE_MS = 10_000;
const MIN_GAP_MS = 10_000;
/** The drain ends early when nothing is left in Kafka and the stored count stood still this long. */
const SETTLED_MS = 60_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function options() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      rate: { type: 'string', default: '2000' },
      seed: { type: 'string' },
      'drain-s': { type: 'string', default: '240' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got '${v}'\n${USAGE}`);
    return n;
  };
  return {
    seconds: num('minutes', values.minutes) * 60,
    rate: num('rate', values.rate),
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : num('seed', values.seed),
    drainMs: num('drain-s', values['drain-s']) * 1000,
    keep: values.keep,
  };
}

/** A CLI child (`ship` or `process`) that chaos kills and restarts; its stderr goes to a file. */
class Child {
  proc: ChildProcess | null = null;
  restarts = 0;
  /** Exits nobody asked for (non-zero or signal, outside a kill or stop of ours). */
  readonly unexpectedExits: string[] = [];
  readonly rss: Array<{ atS: number; mb: number }> = [];
  private expectExit = false;
  /** Set by the final stop: an unasked exit is no longer followed by a restart. */
  private retired = false;

  constructor(readonly name: string, private readonly args: string[], private readonly env: NodeJS.ProcessEnv, private readonly logPath: string) {}

  start(): void {
    const proc = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...this.args], { env: this.env, stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.pipe(createWriteStream(this.logPath, { flags: 'a' }));
    this.expectExit = false;
    proc.on('exit', (code, signal) => {
      if (!this.expectExit) {
        const what = `${this.name} exited unasked (code ${code}, signal ${signal}) at ${new Date().toISOString()}; see ${this.logPath}`;
        this.unexpectedExits.push(what);
        console.log(`[soak] ${what}; restarting it`);
        this.proc = null;
        this.restarts++;
        setTimeout(() => this.retired || this.start(), 1000);
      }
    });
    this.proc = proc;
  }

  async kill9(): Promise<void> {
    await this.stop('SIGKILL');
  }

  /** Resolves to the exit code (null after a signal; SIGKILL after 60 s without an exit). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return proc?.exitCode ?? null;
    this.expectExit = true;
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill(signal);
    const forced = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    const code = await exited;
    clearTimeout(forced);
    this.proc = null;
    return code;
  }

  /** The final stop: SIGTERM, no restart after. */
  retire(): Promise<number | null> {
    this.retired = true;
    return this.stop();
  }

  sampleRss(atS: number): number | null {
    const pid = this.proc?.pid;
    if (!pid) return null;
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      this.rss.push({ atS, mb: kb / 1024 });
      return Math.round(kb / 1024);
    } catch {
      return null;
    }
  }

  /** Mean RSS (MB) of the first and last quarter of the writing phase (its first `seconds`). */
  rssTrend(seconds: number): { first_quarter_mb: number; last_quarter_mb: number; max_mb: number } {
    const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
    const inPhase = this.rss.filter((s) => s.atS <= seconds);
    return {
      first_quarter_mb: mean(inPhase.filter((s) => s.atS < seconds / 4).map((s) => s.mb)),
      last_quarter_mb: mean(inPhase.filter((s) => s.atS >= (3 * seconds) / 4).map((s) => s.mb)),
      max_mb: Math.round(Math.max(0, ...this.rss.map((s) => s.mb))),
    };
  }
}

/** One file identity's lines: the shipper gives them ids `prefix + offset`. */
interface Segment {
  path: string;
  prefix: string;
  lines: number;
}

/** Appends generated lines to one log file at its share of the rate; rotates it on request. */
class LogWriter {
  readonly segments: Segment[] = [];
  written = 0;
  private rotations = 0;
  private readonly lines: Generator<string>;

  constructor(readonly path: string, seed: number, linesPerS: number, total: number) {
    this.lines = generateHttpLogLines(total, { seed, start: new Date(), intervalMs: 1000 / linesPerS });
  }

  private take(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) {
      const next = this.lines.next();
      if (next.done) break;
      out += next.value + '\n';
      this.written++;
      this.segments.at(-1)!.lines++;
    }
    return out;
  }

  /** Writes the first lines of a new identity of the file (more than the fingerprint covers) and records it. */
  async begin(write: (text: string) => void): Promise<void> {
    this.segments.push({ path: this.path, prefix: '', lines: 0 });
    write(this.take(FIRST_LINES));
    const fh = await open(this.path, 'r');
    try {
      this.segments.at(-1)!.prefix = eventIdPrefix(HOST, (await identify(fh, FINGERPRINT_BYTES)).fileId);
    } finally {
      await fh.close();
    }
  }

  append(n: number): void {
    if (n > 0) appendFileSync(this.path, this.take(n));
  }

  /** logrotate's default: rename, then a new file under the old name. */
  async rotateRename(): Promise<string> {
    const to = `${this.path}.${++this.rotations}`;
    renameSync(this.path, to);
    await this.begin((text) => writeFileSync(this.path, text));
    return to;
  }

  /** logrotate's copytruncate: copy beside it, truncate in place (same inode). */
  async rotateCopyTruncate(): Promise<string> {
    const to = `${this.path}.${++this.rotations}`;
    copyFileSync(this.path, to);
    truncateSync(this.path, 0);
    await this.begin((text) => appendFileSync(this.path, text));
    return to;
  }
}

type Chaos = 'kill-shipper' | 'kill-processor' | 'rotate-rename' | 'rotate-copytruncate' | 'kafka-outage' | 'clickhouse-outage';
const CHAOS: Chaos[] = ['kill-shipper', 'kill-processor', 'rotate-rename', 'rotate-copytruncate', 'kafka-outage', 'clickhouse-outage'];

/** Every kind once per round, each round shuffled; evenly spaced between 30 s and a quiet last minute. */
function schedule(rng: Rng, seconds: number): Array<{ atS: number; kind: Chaos }> {
  const first = Math.min(30, seconds / 4);
  const last = Math.max(first, seconds - 60);
  const count = Math.max(CHAOS.length, Math.floor((last - first) / 50));
  const kinds: Chaos[] = [];
  while (kinds.length < count) {
    const round = [...CHAOS];
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [round[i], round[j]] = [round[j]!, round[i]!];
    }
    kinds.push(...round);
  }
  const step = (last - first) / Math.max(1, count - 1);
  return kinds.slice(0, count).map((kind, i) => ({ atS: Math.round(first + i * step), kind }));
}

interface Stored {
  distinct: number;
  raw: number;
  rollup: number;
  rejects: number;
  alerts: number;
}

async function stored(ch: ClickHouseClient, db: string): Promise<Stored> {
  const rs = await ch.query({
    query: `SELECT
      (SELECT count(DISTINCT event_id) FROM ${db}.haproxy_events) AS distinct,
      (SELECT count() FROM ${db}.haproxy_events) AS raw,
      (SELECT sum(n) FROM (SELECT uniqExactMerge(events) AS n FROM ${db}.haproxy_rollup_1m
         GROUP BY minute, host, frontend, backend, server, status_class, termination_state, conn_failure, server_error, retried)) AS rollup,
      (SELECT count() FROM ${db}.rejects) AS rejects,
      (SELECT count(DISTINCT alert_id) FROM ${db}.alerts) AS alerts`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<Record<keyof Stored, string>>();
  return { distinct: Number(row!.distinct), raw: Number(row!.raw), rollup: Number(row!.rollup), rejects: Number(row!.rejects), alerts: Number(row!.alerts) };
}

/** Distinct event ids stored per file-identity prefix (the first 16 hex characters). */
async function storedByPrefix(ch: ClickHouseClient, db: string): Promise<Map<string, number>> {
  const rs = await ch.query({ query: `SELECT substring(event_id, 1, 16) AS p, count(DISTINCT event_id) AS n FROM ${db}.haproxy_events GROUP BY p`, format: 'JSONEachRow' });
  return new Map((await rs.json<{ p: string; n: string }>()).map((r) => [r.p, Number(r.n)]));
}

/** Events the consumer group has not committed yet. */
async function lag(admin: Admin, group: string, topic: string): Promise<number> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: group, topics: [topic] })]);
  const at = new Map(committed!.partitions.map((p) => [p.partition, Number(p.offset)]));
  return ends.reduce((sum, p) => sum + Number(p.high) - Math.max(Number(p.low), at.get(p.partition) ?? -1), 0);
}

/** The query, or null while its server is down (and 5 s at most). */
async function orNull<T>(p: Promise<T>): Promise<T | null> {
  return Promise.race([p.catch(() => null), sleep(5000).then(() => null)]);
}

async function main(): Promise<number> {
  const opt = options();
  const [brokers, chUrl] = await Promise.all([kafkaBrokers(), clickhouseUrl()]);
  const status = await servicesScript('status', 'kafka', 'clickhouse');
  if ((status.match(/\(pid \d+\)/g) ?? []).length !== 2) {
    throw new Error(`the soak stops and starts Kafka and ClickHouse, so both must be the ones scripts/services.sh started (npm run services:up):\n${status}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'bw-soak-'));
  const prefix = `${uniqueName('bw_soak')}.`;
  const database = uniqueName('bw_soak');
  const group = uniqueName('bw_soak');
  const topic = prefix + TOPICS.events;
  const files = [join(dir, 'a.log'), join(dir, 'b.log')];
  const pipelinePath = join(dir, 'pipeline.yaml');
  writeFileSync(
    pipelinePath,
    stringify({
      name: 'soak',
      sources: { files, checkpoint_file: join(dir, 'checkpoint.json'), start_at: 'beginning', host: HOST, fingerprint_bytes: FINGERPRINT_BYTES },
      bus: { type: 'kafka', kafka: { topic_prefix: prefix, partitions: 4 } },
      store: { database },
      http: { port: 0 },
    }),
  );
  const rng = seededRandom(opt.seed);
  const plan = schedule(rng, opt.seconds);
  console.log(`[soak] seed ${opt.seed}, ${opt.seconds / 60} min at ${opt.rate} lines/s, work dir ${dir}, database ${database}, topic prefix ${prefix}`);
  console.log(`[soak] chaos plan: ${plan.map((c) => `${c.atS}s ${c.kind}`).join(', ')}`);

  const env = { ...process.env, KAFKA_BROKERS: brokers.join(','), CLICKHOUSE_URL: chUrl, LOG_LEVEL: 'warn' };
  const shipper = new Child('shipper', ['ship', '-c', pipelinePath], env, join(dir, 'shipper.log'));
  const processors = [1, 2].map((i) => new Child(`processor-${i}`, ['process', '-c', pipelinePath, '--group', group, '--port', '0', '--no-stats'], env, join(dir, `processor-${i}.log`)));
  const children = [shipper, ...processors];
  const total = Math.ceil(opt.rate * opt.seconds) + 1000;
  const writers = files.map((f, i) => new LogWriter(f, opt.seed + i + 1, opt.rate / files.length, total));
  const ch = createClient({ url: chUrl, request_timeout: 30_000, log: { level: ClickHouseLogLevel.OFF } }); // a stopped server is expected
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 1 } }).admin();
  const down = new Set<ServiceName>();
  const log: string[] = [];
  const note = (atS: number, what: string) => {
    log.push(`${atS}s ${what}`);
    console.log(`[soak ${atS}s] ${what}`);
  };
  let interrupted = false;
  process.once('SIGINT', () => (interrupted = true));

  try {
    for (const w of writers) await w.begin((text) => writeFileSync(w.path, text));
    for (const c of children) c.start();
    await admin.connect();
    const t0 = Date.now();
    const elapsedS = () => Math.round((Date.now() - t0) / 1000);

    // The writer: each file's share of the rate, every 100 ms.
    let writing = true;
    const writer = (async () => {
      while (writing && !interrupted) {
        const due = Math.floor((((Date.now() - t0) / 1000) * opt.rate) / files.length);
        for (const w of writers) w.append(Math.min(due - w.written, total - w.written));
        await sleep(100);
      }
    })();

    // RSS samples, and a status line a minute.
    const sampler = setInterval(() => {
      for (const c of children) c.sampleRss(elapsedS());
    }, SAMPLE_MS);
    let lastStatus = 0;
    // ReplacingMergeTree merges collapse duplicates as it goes: the most seen at once is reported too.
    let maxDuplicatesSeen = 0;
    const statusLine = async () => {
      const s = await orNull(stored(ch, database));
      if (s) maxDuplicatesSeen = Math.max(maxDuplicatesSeen, s.raw - s.distinct);
      const l = await orNull(lag(admin, group, topic));
      const rss = children.map((c) => `${c.name} ${c.sampleRss(elapsedS()) ?? '-'} MB`).join(', ');
      const written = writers.reduce((a, w) => a + w.written, 0);
      console.log(`[soak ${elapsedS()}s] written ${written}, stored ${s ? `${s.distinct} distinct (${s.raw} raw)` : 'n/a'}, lag ${l ?? 'n/a'}, rss ${rss}, alerts ${s?.alerts ?? 'n/a'}`);
    };

    const runChaos = async (kind: Chaos): Promise<void> => {
      const at = elapsedS();
      switch (kind) {
        case 'kill-shipper':
        case 'kill-processor': {
          const victim = kind === 'kill-shipper' ? shipper : processors[Math.floor(rng() * processors.length)]!;
          await victim.kill9();
          const pause = 1000 + Math.floor(rng() * 4000);
          await sleep(pause);
          victim.restarts++;
          victim.start();
          note(at, `kill -9 ${victim.name}, restarted after ${pause} ms`);
          return;
        }
        case 'rotate-rename':
        case 'rotate-copytruncate': {
          const w = writers[Math.floor(rng() * writers.length)]!;
          const to = kind === 'rotate-rename' ? await w.rotateRename() : await w.rotateCopyTruncate();
          note(at, `${kind === 'rotate-rename' ? 'rename + create' : 'copytruncate'}: ${w.path} -> ${to}`);
          return;
        }
        case 'kafka-outage':
        case 'clickhouse-outage': {
          const service: ServiceName = kind === 'kafka-outage' ? 'kafka' : 'clickhouse';
          const outageMs = 10_000 + Math.floor(rng() * 10_000);
          down.add(service);
          await stopService(service);
          await sleep(outageMs);
          await startService(service);
          down.delete(service);
          note(at, `${service} stopped for ${Math.round(outageMs / 1000)} s (back at ${elapsedS()}s)`);
          return;
        }
      }
    };

    // The chaos schedule, one action at a time.
    // Actions at least MIN_GAP_MS apart: a file created and rotated again before the shipper's
    // next rescan would be a copy it never saw (logrotate does not rotate twice in a second).
    let lastEnd = 0;
    for (const step of plan) {
      while (!interrupted && (Date.now() - t0 < step.atS * 1000 || Date.now() - lastEnd < MIN_GAP_MS)) {
        if (Date.now() - lastStatus >= 60_000) {
          lastStatus = Date.now();
          await statusLine();
        }
        await sleep(200);
      }
      if (interrupted) break;
      await runChaos(step.kind);
      lastEnd = Date.now();
    }
    while (!interrupted && Date.now() - t0 < opt.seconds * 1000) {
      if (Date.now() - lastStatus >= 60_000) {
        lastStatus = Date.now();
        await statusLine();
      }
      await sleep(200);
    }
    writing = false;
    await writer;
    clearInterval(sampler);
    const written = writers.reduce((a, w) => a + w.written, 0);
    // Past --minutes when the last chaos action ran long (outages wait for the server's stop and start).
    const writtenS = elapsedS();
    note(writtenS, `writing stopped: ${written} lines; draining`);

    // Drain: until every line is stored and the group has committed the end of the topic.
    const drainStart = Date.now();
    let s = await orNull(stored(ch, database));
    let l = await orNull(lag(admin, group, topic));
    let changedAt = Date.now();
    while (!interrupted && (s?.distinct !== written || l !== 0) && Date.now() - drainStart < opt.drainMs && !(l === 0 && Date.now() - changedAt > SETTLED_MS)) {
      await sleep(5000);
      const before = s?.distinct;
      s = await orNull(stored(ch, database));
      l = await orNull(lag(admin, group, topic));
      if (s?.distinct !== before) changedAt = Date.now();
      if (Date.now() - lastStatus >= 30_000) {
        lastStatus = Date.now();
        await statusLine();
      }
    }
    const drainS = Math.round((Date.now() - drainStart) / 1000);
    const final = await stored(ch, database);
    const byPrefix = await storedByPrefix(ch, database);
    const segments = writers.flatMap((w) => w.segments);
    const known = new Set(segments.map((g) => g.prefix));
    const perFile = segments.map((g) => ({ path: g.path, prefix: g.prefix, written: g.lines, stored: byPrefix.get(g.prefix) ?? 0 }));
    const lost = perFile.reduce((a, g) => a + Math.max(0, g.written - g.stored), 0);
    const unknown = [...byPrefix].filter(([p]) => !known.has(p));
    const exits = await Promise.all(children.map(async (c) => [c.name, await c.retire()] as const));
    const unexpected = children.flatMap((c) => c.unexpectedExits);
    const ok = lost === 0 && final.distinct === written && unknown.length === 0 && final.rollup === final.distinct && unexpected.length === 0 && exits.every(([, code]) => code === 0) && !interrupted;
    for (const g of perFile) if (g.stored !== g.written) console.log(`[soak] ${g.path} identity ${g.prefix}: ${g.written} lines written, ${g.stored} stored`);
    if (unknown.length) console.log(`[soak] event ids of no file written: ${JSON.stringify(unknown)}`);
    for (const u of unexpected) console.log(`[soak] ${u}`);
    const summary = {
      ok,
      seed: opt.seed,
      minutes: opt.seconds / 60,
      written_s: writtenS,
      rate: opt.rate,
      lines_written: written,
      events_stored_distinct: final.distinct,
      lost,
      raw_rows: final.raw,
      raw_duplicates: final.raw - final.distinct,
      raw_duplicates_max_seen: Math.max(maxDuplicatesSeen, final.raw - final.distinct),
      rollup_events: final.rollup,
      rejects: final.rejects,
      alerts: final.alerts,
      unknown_event_id_prefixes: unknown.length,
      file_identities: segments.length,
      drain_s: drainS,
      final_lag: l,
      restarts: Object.fromEntries(children.map((c) => [c.name, c.restarts])),
      unexpected_exits: unexpected.length,
      stop_exit_codes: Object.fromEntries(exits),
      rss_mb: Object.fromEntries(children.map((c) => [c.name, c.rssTrend(writtenS)])),
      chaos: log,
      load_avg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    };
    console.log(JSON.stringify(summary));
    if (ok && !opt.keep) {
      await dropTestResources({ brokers, topicPrefix: prefix, clickhouseUrl: chUrl, database });
      rmSync(dir, { recursive: true, force: true });
    } else {
      console.log(`[soak] kept for inspection: ${dir} (children's logs), database ${database}, topics ${prefix}*`);
    }
    return ok ? 0 : 1;

  } finally {
    for (const s of down) await startService(s).catch((err: Error) => console.error(`[soak] could not start ${s} again: ${err.message}`));
    for (const c of children) await c.stop('SIGKILL').catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await ch.close();
  }
}

process.exitCode = await main().catch((err: Error) => {
  console.error(`[soak] ${err.stack ?? err.message}`);
  return 1;
});
