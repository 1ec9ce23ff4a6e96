/**
 * Insert throughput of the store: events through Store.insertEvents (row building, batching,
 * encoding, the ReplacingMergeTree table and its rollup view) for a few batch sizes into
 *  - "encode only": a driver that encodes Native blocks and drops them (the JS share),
 *  - embedded chdb (Native blocks through a spool file),
 *  - the ClickHouse server when one answers (Native blocks over HTTP).
 * Each configuration runs in its own child process, so peak RSS is that configuration's own.
 * Printed per line: rows/s (wall clock), CPU µs per row of this process (chdb runs inside it,
 * so for the embedded store this is the whole cost; for the server it is the client's share
 * only) and of its main (JS) thread alone, peak RSS and the RSS before the first insert
 * (runtime, engine and the 20 k-event input pool). For chdb also the CPU µs per row once the
 * background merges of the inserted parts have finished (the sustained cost: merges lag
 * behind the inserts and would otherwise fall outside the timing). Wall-clock rates depend on
 * the load average printed beside them.
 *
 *   npm run bench:store [-- --rows N] [--server-rows N] [--batches 1000,10000,50000,100000]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ChdbDriver } from '../src/store/embedded.js';
import { ServerDriver } from '../src/store/clickhouse.js';
import type { Driver, Row } from '../src/store/driver.js';
import { featuresFor } from '../src/store/features.js';
import { NativeEncoder } from '../src/store/native.js';
import { SqlStore } from '../src/store/sql-store.js';
import { settleMerges } from './store-merges.js';
import { StoreSchema } from '../src/config/store.js';
import type { HaproxyEvent } from '../src/haproxy/event.js';
import { event } from '../test/unit/store/fixture.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '400000' },
    'server-rows': { type: 'string', default: '200000' },
    batches: { type: 'string', default: '1000,10000,50000,100000' },
    one: { type: 'string' },
    batch: { type: 'string' },
  },
});
const CHUNK = 5000;
const POOL = 20_000;
const url = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:18123';

/**
 * A pool of varied events, reused chunk by chunk with fresh event ids: the timing covers the store,
 * not the generator. Each goes through JSON as the processor receives it from the bus: the
 * fixture's spread-built objects are dictionary-mode in V8 and made row building ~9x slower
 * (5.4 vs 0.6 µs/event) than the parser's or JSON.parse's objects.
 */
function pool(): HaproxyEvent[] {
  const out: HaproxyEvent[] = [];
  for (let i = 0; i < POOL; i++) {
    const fail = i % 50 === 0;
    out.push(asFromBus(event({
      minute: Math.floor(i / 200) % 120,
      server: `app${i % 12}`,
      backend: `be_${i % 3}`,
      uri: `/api/v1/items/${i % 1000}?page=${i % 7}`,
      status: fail ? 503 : 200,
      conn_failure: fail,
      termination_state: fail ? 'SC' : '--',
      client_port: 1024 + (i % 60000),
    })));
  }
  return out;
}

const asFromBus = (e: HaproxyEvent): HaproxyEvent => JSON.parse(JSON.stringify(e)) as HaproxyEvent;

/** Encodes like the embedded store, writes nothing: the JS share of an insert. */
class EncodeOnlyDriver implements Driver {
  readonly kind = 'embedded' as const;
  readonly features = featuresFor('26.1');
  readonly location = 'nowhere';
  private readonly encoders = new Map<string, NativeEncoder>();
  constructor(private readonly types: Map<string, Map<string, string>>) {}
  async exec(): Promise<void> {}
  async select<T>(): Promise<T[]> {
    return [{ n: 0 }] as T[];
  }
  async encodeRows(table: string, columns: readonly string[], rows: readonly Row[]): Promise<Buffer> {
    let encoder = this.encoders.get(table);
    if (!encoder) {
      const types = this.types.get(table);
      encoder = new NativeEncoder(columns.map((name) => ({ name, type: types?.get(name) ?? 'String' })));
      this.encoders.set(table, encoder);
    }
    return encoder.encode(rows);
  }
  async insertBlock(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Column types of haproxy_events as the embedded store creates them. */
async function eventColumnTypes(): Promise<Map<string, Map<string, string>>> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-types-'));
  try {
    const driver = await ChdbDriver.open(dir, 'types');
    const store = new SqlStore(driver);
    await store.migrate();
    const cols = await driver.select<{ name: string; type: string }>("SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'haproxy_events'");
    await store.close();
    return new Map([['haproxy_events', new Map(cols.map((c) => [c.name, c.type]))]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU time of the main (JS) thread so far, µs, from /proc (clock ticks): the rest of the process is chdb and libuv threads. */
function mainThreadCpuUs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_S;
}
const CLOCK_TICKS_PER_S = 100;

async function runOne(kind: string, batch: number, total: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-'));
  const db = `bench_${batch}_${process.pid}`;
  let driver: Driver;
  if (kind === 'encode') driver = new EncodeOnlyDriver(await eventColumnTypes());
  else if (kind === 'embedded') driver = await ChdbDriver.open(dir, db);
  else driver = await ServerDriver.open({ url, database: db });
  try {
    const maxBuffered = Math.max(batch * 2, 20_000);
    const store = new SqlStore(driver, StoreSchema.parse({ batch_rows: batch, batch_ms: 1000, max_buffered_rows: maxBuffered }));
    await store.migrate();
    const events = pool();
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpuUs();
    const started = performance.now();
    // Like a consumer: chunks handed over without awaiting each; backpressure (max_buffered_rows)
    // paces it. The window must exceed a batch, or every batch would wait for batch_ms to seal.
    const window = Math.ceil(maxBuffered / CHUNK) + 2;
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i += CHUNK) {
      const chunk = events.slice(i % POOL, (i % POOL) + Math.min(CHUNK, total - i));
      for (let j = 0; j < chunk.length; j++) chunk[j].event_id = `lb1:bench:${i + j}`;
      pending.push(store.insertEvents(chunk)); // rows are built synchronously: the pool can be reused at once
      if (pending.length >= window) await pending.shift();
    }
    await Promise.all(pending);
    await store.flush();
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const mainCpu = mainThreadCpuUs() - main0;
    clearInterval(sampler);
    // The engine keeps merging the inserted parts after the last insert; in chdb that CPU is ours.
    const settle = kind === 'embedded' ? await settleMerges(driver) : 0;
    const cpuSettled = process.cpuUsage(cpu0);
    const [{ n }] = await store.query<{ n: number }>('SELECT count() AS n FROM haproxy_events');
    if (kind !== 'encode') await driver.exec(`DROP DATABASE IF EXISTS ${db}`);
    await store.close();
    const label = kind === 'encode' ? 'encode only (Native, no engine)' : kind === 'embedded' ? 'embedded (chdb)' : `server ${url}`;
    process.stdout.write(JSON.stringify({
      store: label,
      clickhouse: driver.features.version,
      batch_rows: batch,
      rows: kind === 'encode' ? total : Number(n),
      seconds: Number(seconds.toFixed(2)),
      rows_per_s: Math.round(total / seconds),
      cpu_us_per_row: Number(((cpu.user + cpu.system) / total).toFixed(2)),
      main_thread_cpu_us_per_row: Number((mainCpu / total).toFixed(2)),
      ...(kind === 'embedded'
        ? { cpu_us_per_row_with_merges: Number(((cpuSettled.user + cpuSettled.system) / total).toFixed(2)), merges_settled_s: Number(settle.toFixed(1)) }
        : {}),
      peak_rss_mb: Math.round(peakRss / 2 ** 20),
      rss_before_mb: Math.round(rssBefore / 2 ** 20),
      load_avg_1m: Number(loadavg()[0].toFixed(1)),
    }) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.one) {
  await runOne(values.one, Number(values.batch), Number(values.rows));
} else {
  const batches = values.batches.split(',').map(Number);
  const serverAnswers = await fetch(`${url}/ping`).then((r) => r.ok, () => false);
  const runs: [string, number][] = [
    ...batches.map((b): [string, number] => ['encode', b]),
    ...batches.map((b): [string, number] => ['embedded', b]),
    ...(serverAnswers ? batches.map((b): [string, number] => ['server', b]) : []),
  ];
  if (!serverAnswers) process.stdout.write(`{"store":"server","skipped":"nothing answers on ${url}"}\n`);
  const self = fileURLToPath(import.meta.url);
  for (const [kind, batch] of runs) {
    const rows = kind === 'server' ? values['server-rows'] : values.rows;
    const child = spawnSync(process.execPath, ['--import', 'tsx', self, '--one', kind, '--batch', String(batch), '--rows', rows], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { LOG_LEVEL: 'warn', ...process.env },
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`bench ${kind} batch ${batch} failed (exit ${child.status})`);
    process.stdout.write(child.stdout);
  }
}
