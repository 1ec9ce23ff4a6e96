/**
 * Schema migrations: sql/migrations/NNN_name.sql, applied in order, each once, recorded in
 * `breakwater_migrations`. Every statement is idempotent (IF NOT EXISTS), so a run killed
 * in the middle of a migration simply re-applies it next time; a migration is recorded only
 * after all its statements succeeded. A migration that renders no statement for this server's
 * version is not recorded: it waits for a server upgrade. Version-dependent clauses are rendered from Features
 * (template.ts) so one set of files serves ClickHouse 18.16 and current releases.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { log } from '../observe/log.js';
import { insertRows, type Driver } from './driver.js';
import { renderTemplate, type TemplateContext } from './template.js';
import { applyRetention } from './retention.js';
import type { Features } from './features.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../sql/migrations/', import.meta.url));
const MIGRATION_FILE = /^(\d{3,})_[a-z0-9_]+\.sql$/;

export interface Migration {
  name: string;
  statements: string[];
}

export interface RetentionDays {
  ttl_days: number;
  rollup_ttl_days: number;
}

export function templateContext(features: Features, retention: RetentionDays): TemplateContext {
  return {
    dateTime64: features.dateTime64,
    ttl: features.ttl,
    codecs: features.codecs,
    alterSettings: features.alterSettings,
    compactParts: features.compactParts,
    time_type: features.dateTime64 ? "DateTime64(3, 'UTC')" : "DateTime('UTC')",
    // Names a materialized view computes (status class): LowCardinality once it is no longer experimental.
    derived_name_type: features.lowCardinalitySetting ? 'String' : 'LowCardinality(String)',
    ttl_days: retention.ttl_days,
    rollup_ttl_days: retention.rollup_ttl_days,
  };
}

/** Statements of a rendered file: split at a `;` that ends a line; comments dropped. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

export function loadMigrations(context: TemplateContext, dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => MIGRATION_FILE.test(f))
    .sort()
    .map((file) => ({
      name: file.replace(/\.sql$/, ''),
      statements: splitStatements(renderTemplate(readFileSync(`${dir}/${file}`, 'utf8'), context)),
    }));
}

export interface MigrateOptions {
  dir?: string;
  /** Called after each migration is recorded (tests use it to simulate a crash in between). */
  onApplied?(name: string): void;
}

/**
 * Applies pending migrations, then brings table TTLs to the configured retention (retention.ts);
 * returns the names applied and the TTL changes made by this call.
 */
export async function migrate(driver: Driver, retention: RetentionDays, opts: MigrateOptions = {}): Promise<string[]> {
  const features = driver.features;
  const settings: Record<string, number> = features.lowCardinalitySetting ? { allow_experimental_low_cardinality_type: 1 } : {};
  await driver.exec(
    'CREATE TABLE IF NOT EXISTS breakwater_migrations (name String, applied_at DateTime) ENGINE = MergeTree ORDER BY name',
  );
  const done = new Set(
    (await driver.select<{ name: string }>('SELECT DISTINCT name FROM breakwater_migrations')).map((r) => r.name),
  );
  const applied: string[] = [];
  const migrations = loadMigrations(templateContext(features, retention), opts.dir);
  for (const m of migrations) {
    if (done.has(m.name)) continue;
    // Nothing for this server's version (a setting it lacks): left unrecorded, so it applies
    // after the server is upgraded to a version that has it.
    if (m.statements.length === 0) continue;
    for (const statement of m.statements) await driver.exec(statement, settings);
    const now = new Date().toISOString().slice(0, 19).replace('T', ' ');
    await insertRows(driver, 'breakwater_migrations', ['name', 'applied_at'], [[m.name, now]]);
    log.info({ migration: m.name, store: driver.location, clickhouse: features.version }, 'store: migration applied');
    applied.push(m.name);
    opts.onApplied?.(m.name);
  }
  return [...applied, ...(await applyRetention(driver, migrations))];
}
