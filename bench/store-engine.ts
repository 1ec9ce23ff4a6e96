/**
 * Where chdb's insert CPU goes: the same Native blocks (encoded and spooled before the clock
 * starts) inserted into variants of haproxy_events, each variant in its own child process.
 * Merges are stopped while inserting, so the two figures separate: CPU µs per row of the
 * inserts (table + rollup view), then of the background merges once started, until they settle.
 * The schema variants are edits of the table as migration 001 creates it ("store" = as
 * migrations 007 and 008 leave it; "before_007_008" = session 2's table).
 *
 *   npm run bench:store:engine [-- --rows N] [--batch N] [--variants store,no_view,…]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ChdbDriver } from '../src/store/embedded.js';
import { SqlStore } from '../src/store/sql-store.js';
import { eventColumns, eventValues, TimeFormat } from '../src/store/rows.js';
import type { HaproxyEvent } from '../src/haproxy/event.js';
import { event } from '../test/unit/store/fixture.js';
import { settleMerges } from './store-merges.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '50000' },
    variants: { type: 'string' },
    one: { type: 'string' },
  },
});
const rows = Number(values.rows);
const batch = Number(values.batch);

const HORIZONTAL = ', enable_vertical_merge_algorithm = 0';
const COMPACT = ', min_bytes_for_wide_part = 268435456';
const withSettings = (ddl: string, settings: string) => ddl.replace('index_granularity = 8192', `index_granularity = 8192${settings}`);
/** The table as migrations 001, 007 and 008 leave it. */
const store = (ddl: string) => withSettings(ddl, HORIZONTAL + COMPACT);
const NAMES = new Set(['host', 'frontend', 'bind', 'backend', 'server']);

interface Variant {
  /** The rollup view's count aggregate, null for no view. */
  view: string | null;
  /** The CREATE TABLE of haproxy_events from migration 001's. */
  events(ddl: string): string;
}

const VIEW = 'uniqExactState(event_id)';
const VARIANTS: Record<string, Variant> = {
  store: { view: VIEW, events: store },
  before_007_008: { view: VIEW, events: (d) => d },
  vertical_merges: { view: VIEW, events: (d) => withSettings(d, COMPACT) },
  wide_parts_from_10mb: { view: VIEW, events: (d) => withSettings(d, HORIZONTAL) },
  no_view: { view: null, events: store },
  view_cityhash64: { view: 'uniqExactState(cityHash64(event_id))', events: store },
  view_count: { view: 'countState()', events: store },
  lowcardinality_names_only: {
    view: VIEW,
    events: (d) => store(d.replace(/`(\w+)` LowCardinality\(String\)/g, (m, name: string) => (NAMES.has(name) ? m : `\`${name}\` String`))),
  },
  no_lowcardinality: { view: VIEW, events: (d) => store(d.replace(/LowCardinality\(String\)/g, 'String')) },
  no_codecs: { view: VIEW, events: (d) => store(d.replace(/ CODEC\((?:[^()]|\([^()]*\))*\)/g, '')) },
};

const STATE_TYPES: [RegExp, string][] = [
  [/^uniqExactState\(cityHash64/, 'AggregateFunction(uniqExact, UInt64)'],
  [/^countState/, 'AggregateFunction(count)'],
  [/^uniqExactState/, 'AggregateFunction(uniqExact, String)'],
];

/** Events as bench:store builds them (through JSON), each with its own event id. */
function events(n: number): HaproxyEvent[] {
  const out: HaproxyEvent[] = [];
  for (let i = 0; i < n; i++) {
    const fail = i % 50 === 0;
    const e = event({
      minute: Math.floor(i / 200) % 120, server: `app${i % 12}`, backend: `be_${i % 3}`, uri: `/api/v1/items/${i % 1000}?page=${i % 7}`,
      status: fail ? 503 : 200, conn_failure: fail, termination_state: fail ? 'SC' : '--', client_port: 1024 + (i % 60000),
    });
    e.event_id = `lb1:bench:${i}`;
    out.push(JSON.parse(JSON.stringify(e)) as HaproxyEvent);
  }
  return out;
}

async function runOne(name: string): Promise<void> {
  const variant = VARIANTS[name];
  if (!variant) throw new Error(`unknown variant ${name}: ${Object.keys(VARIANTS).join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-engine-'));
  try {
    const driver = await ChdbDriver.open(dir, 'engine');
    const store = new SqlStore(driver);
    await store.migrate();
    const create = async (table: string) =>
      (await driver.select<{ q: string }>('SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = {t:String}', { t: table }))[0].q;
    const [eventsDdl, rollupDdl, viewDdl] = [await create('haproxy_events'), await create('haproxy_rollup_1m'), await create('haproxy_rollup_1m_mv')];
    for (const t of ['haproxy_rollup_1m_mv', 'haproxy_rollup_1m', 'haproxy_events']) await driver.exec(`DROP TABLE ${t}`);
    await driver.exec(variant.events(eventsDdl.replace(HORIZONTAL, '').replace(COMPACT, '')));
    if (variant.view) {
      const stateType = STATE_TYPES.find(([re]) => re.test(variant.view as string))?.[1] as string;
      await driver.exec(rollupDdl.replace('AggregateFunction(uniqExact, String)', stateType));
      await driver.exec(viewDdl.replace(VIEW, variant.view));
    }
    const features = driver.features;
    const time = new TimeFormat(features);
    const columns = eventColumns(features);
    const all = events(rows);
    const files: string[] = [];
    let bytes = 0;
    for (let i = 0; i < rows; i += batch) {
      const block = await driver.encodeRows('haproxy_events', columns, all.slice(i, i + batch).map((e) => eventValues(e, time, features)));
      bytes += block.length;
      files.push(join(dir, `block-${i}.native`));
      writeFileSync(files[files.length - 1], block);
    }
    await driver.exec('SYSTEM STOP MERGES');
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    for (const f of files) {
      await driver.exec(`INSERT INTO haproxy_events (${columns.join(', ')}) SELECT * FROM file('${f}', Native) SETTINGS optimize_on_insert = 0`);
    }
    const insertSeconds = (performance.now() - started) / 1000;
    const cpuInsert = process.cpuUsage(cpu0);
    await driver.exec('SYSTEM START MERGES');
    const settled = await settleMerges(driver, 120_000);
    const cpuAll = process.cpuUsage(cpu0);
    const [{ n, parts }] = await driver.select<{ n: number; parts: number }>(
      "SELECT (SELECT count() FROM haproxy_events) AS n, (SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'haproxy_events' AND active) AS parts",
    );
    const us = (c: NodeJS.CpuUsage) => (c.user + c.system) / rows;
    process.stdout.write(JSON.stringify({
      variant: name,
      batch_rows: batch,
      rows: Number(n),
      block_bytes_per_row: Math.round(bytes / rows),
      insert_rows_per_s: Math.round(rows / insertSeconds),
      insert_cpu_us_per_row: Number(us(cpuInsert).toFixed(2)),
      merge_cpu_us_per_row: Number((us(cpuAll) - us(cpuInsert)).toFixed(2)),
      merges_settled_s: Number(settled.toFixed(1)),
      parts_after: Number(parts),
      load_avg_1m: Number(loadavg()[0].toFixed(1)),
    }) + '\n');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.one) await runOne(values.one);
else {
  const self = fileURLToPath(import.meta.url);
  for (const name of (values.variants ?? Object.keys(VARIANTS).join(',')).split(',')) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', self, '--one', name, '--rows', String(rows), '--batch', String(batch)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { LOG_LEVEL: 'warn', ...process.env },
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`variant ${name} failed (exit ${child.status})`);
    process.stdout.write(child.stdout);
  }
}
