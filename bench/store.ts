/**
 * Insert throughput of the store: rows/s through Store.insertEvents (row encoding, batching,
 * JSONEachRow insert, the ReplacingMergeTree table and its rollup view) into embedded chdb
 * and, when one answers, the ClickHouse server; for a few batch sizes, with peak RSS.
 *
 *   npm run bench:store [-- --rows N] [--server-rows N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ChdbDriver } from '../src/store/embedded.js';
import { ServerDriver } from '../src/store/clickhouse.js';
import type { Driver } from '../src/store/driver.js';
import { SqlStore } from '../src/store/sql-store.js';
import { StoreSchema } from '../src/config/store.js';
import type { HaproxyEvent } from '../src/haproxy/event.js';
import { event } from '../test/unit/store/fixture.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '400000' }, 'server-rows': { type: 'string', default: '100000' } } });
const BATCHES = [1_000, 10_000, 50_000];

/** Events [from, from + n): generated chunk by chunk so RSS measures the store, not the input. */
function events(from: number, n: number): HaproxyEvent[] {
  const out: HaproxyEvent[] = [];
  for (let i = from; i < from + n; i++) {
    const fail = i % 50 === 0;
    out.push(event({
      minute: Math.floor(i / 2000) % 120,
      server: `app${i % 12}`,
      backend: `be_${i % 3}`,
      uri: `/api/v1/items/${i % 1000}?page=${i % 7}`,
      status: fail ? 503 : 200,
      conn_failure: fail,
      termination_state: fail ? 'SC' : '--',
      event_id: `lb1:bench:${i}`,
    }));
  }
  return out;
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

async function bench(label: string, open: (db: string) => Promise<Driver>, total: number): Promise<void> {
  for (const batch of BATCHES) {
    const db = `bench_${batch}_${process.pid}`;
    const driver = await open(db);
    const store = new SqlStore(driver, StoreSchema.parse({ batch_rows: batch, batch_ms: 1000, max_buffered_rows: batch * 4 }));
    await store.migrate();
    peakRss = process.memoryUsage().rss;
    const started = performance.now();
    // Like a consumer: hand over chunks without awaiting each, let backpressure pace it.
    // (insertEvents itself waits while max_buffered_rows are pending).
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i += 5000) {
      pending.push(store.insertEvents(events(i, Math.min(5000, total - i))));
      if (pending.length >= 8) await pending.shift();
    }
    await Promise.all(pending);
    await store.flush();
    const seconds = (performance.now() - started) / 1000;
    const [{ n }] = await store.query<{ n: number }>('SELECT count() AS n FROM haproxy_events');
    await driver.exec(`DROP DATABASE IF EXISTS ${db}`);
    await store.close();
    const line = {
      store: label,
      batch_rows: batch,
      rows: Number(n),
      seconds: Number(seconds.toFixed(2)),
      rows_per_s: Math.round(total / seconds),
      peak_rss_mb: Math.round(peakRss / 2 ** 20),
      load_avg_1m: Number(loadavg()[0].toFixed(1)),
    };
    process.stdout.write(JSON.stringify(line) + '\n');
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bw-bench-'));
try {
  await bench('embedded (chdb)', (db) => ChdbDriver.open(dir, db), Number(values.rows));
  const url = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:18123';
  const answers = await fetch(`${url}/ping`).then((r) => r.ok, () => false);
  if (answers) await bench(`server ${url}`, (db) => ServerDriver.open({ url, database: db }), Number(values['server-rows']));
  else process.stdout.write(`{"store":"server","skipped":"nothing answers on ${url}"}\n`);
} finally {
  clearInterval(sampler);
  rmSync(dir, { recursive: true, force: true });
}
