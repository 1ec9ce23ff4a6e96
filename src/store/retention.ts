/**
 * Retention follows `store.ttl_days` / `store.rollup_ttl_days` without a manual ALTER: after the
 * migrations, each table's live TTL (system.tables) is compared with the TTL its migration
 * renders from the current config, and a table whose days differ (or that has none, e.g. it was
 * created before the server supported TTL) gets `ALTER TABLE … MODIFY TTL …`. The migrations
 * stay the one place where TTL expressions are written; this module reads them from there.
 * Servers without TTL (< 19.6) are left alone: there, old partitions are dropped by hand.
 */
import { log } from '../observe/log.js';
import type { Driver } from './driver.js';
import type { Migration } from './migrations.js';

export interface TableTtl {
  table: string;
  /** The TTL expression without its interval, e.g. "toDate(timestamp)". */
  expression: string;
  days: number;
}

const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (\w+)/;
const TTL_CLAUSE = /^TTL (.+?) \+ INTERVAL (\d+) DAY\s*$/m;
/** How ClickHouse shows it back: `TTL toDate(timestamp) + toIntervalDay(30)`. */
const LIVE_TTL_DAYS = /\bTTL\s.*?\+\s*toIntervalDay\((\d+)\)/;

/** The TTL each table's migration asks for. */
export function wantedTtls(migrations: Migration[]): TableTtl[] {
  const out: TableTtl[] = [];
  for (const statement of migrations.flatMap((m) => m.statements)) {
    const table = CREATE_TABLE.exec(statement)?.[1];
    const ttl = TTL_CLAUSE.exec(statement);
    if (table && ttl) out.push({ table, expression: ttl[1], days: Number(ttl[2]) });
  }
  return out;
}

/** Days of a table's live TTL from its CREATE query; null when it has none. */
export function liveTtlDays(createTableQuery: string): number | null {
  const m = LIVE_TTL_DAYS.exec(createTableQuery);
  return m ? Number(m[1]) : null;
}

/** Brings every table's TTL to the wanted days; returns what changed ("ttl TABLE: 30 -> 7 days"). */
export async function applyRetention(driver: Driver, migrations: Migration[]): Promise<string[]> {
  if (!driver.features.ttl) return [];
  const live = new Map(
    (await driver.select<{ name: string; q: string }>('SELECT name, create_table_query AS q FROM system.tables WHERE database = currentDatabase()'))
      .map((t) => [t.name, liveTtlDays(t.q)]),
  );
  const changed: string[] = [];
  for (const want of wantedTtls(migrations)) {
    if (!live.has(want.table)) continue;
    const days = live.get(want.table) ?? null;
    if (days === want.days) continue;
    await driver.exec(`ALTER TABLE ${want.table} MODIFY TTL ${want.expression} + INTERVAL ${want.days} DAY`);
    const change = `ttl ${want.table}: ${days ?? 'none'} -> ${want.days} days`;
    log.info({ table: want.table, from_days: days, to_days: want.days, store: driver.location }, 'store: retention changed');
    changed.push(change);
  }
  return changed;
}
