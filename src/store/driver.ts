/**
 * The narrow seam between the shared store logic (sql-store.ts: migrations, batching, row
 * encoding) and the two engines: chdb in-process (embedded.ts) and a ClickHouse server over
 * HTTP (clickhouse.ts). Same SQL on both; a driver only moves text and rows.
 */
import type { Features } from './features.js';
import type { QueryParams } from './store.js';

/** One row's values, in the order of the columns they are written to. */
export type Row = readonly unknown[];

export interface Driver {
  readonly kind: 'embedded' | 'server';
  readonly features: Features;
  /** Where the data lives, for messages: a directory or a URL without credentials. */
  readonly location: string;
  /** A statement without a result (DDL). `settings` are numeric session settings. */
  exec(sql: string, settings?: Record<string, number>): Promise<void>;
  /** A SELECT with {name:Type} parameters bound (server-side, or client-side on old servers). */
  select<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>;
  /** Encodes rows (arrays of values in `columns` order, as rows.ts builds them) as one Native block (native.ts). */
  encodeRows(table: string, columns: readonly string[], rows: readonly Row[]): Promise<Buffer>;
  /** Writes a block from encodeRows(); resolves once acknowledged. chdb reads it from a spool file, a server from the HTTP body. */
  insertBlock(table: string, columns: readonly string[], block: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** Encodes and writes rows in one go (small, unbatched inserts). */
export async function insertRows(driver: Driver, table: string, columns: readonly string[], rows: readonly Row[]): Promise<void> {
  await driver.insertBlock(table, columns, await driver.encodeRows(table, columns, rows));
}

/** Statements end at a `;`; client libraries append their own FORMAT clause. */
export function stripTrailingSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

/** Parses a JSONEachRow result body. */
export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  for (const line of text.split('\n')) if (line.trim()) rows.push(JSON.parse(line) as T);
  return rows;
}

/** Table and database names come from code and validated config, still: identifiers only. */
export function assertIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: '${name}'`);
  return name;
}
