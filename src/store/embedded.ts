/**
 * Embedded ClickHouse: the chdb package (the ClickHouse engine in-process) over a data
 * directory. The default store: zero setup, same SQL as a server.
 *
 * Inserts go as one Native block (native.ts) written to a spool file in the data directory
 * and read with `INSERT … SELECT * FROM file(…, Native)`: chdb's insert API takes text formats
 * only, and parsing TabSeparated cost the engine about twenty times the CPU of reading Native.
 */
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Session } from 'chdb';
import { featuresFor, type Features } from './features.js';
import { assertIdentifier, parseJsonEachRow, stripTrailingSemicolons, type Driver, type Row } from './driver.js';
import { bindValues } from './params.js';
import { quoteString } from './literal.js';
import { COLUMN_TYPES_SQL, TableEncoders, type NativeColumn } from './native.js';
import type { QueryParams } from './store.js';

export const DEFAULT_DATA_DIR = './.breakwater/data';
/** Under the data directory: the Native block of the insert in progress (one file per database and table, reused). */
const SPOOL_DIR = 'insert-spool';

export class ChdbDriver implements Driver {
  readonly kind = 'embedded' as const;
  /** chdb runs one statement at a time per session; calls queue here in order. */
  private tail: Promise<unknown> = Promise.resolve();
  private readonly encoders = new TableEncoders((table) => this.select<NativeColumn>(COLUMN_TYPES_SQL, { table }));

  private constructor(
    private readonly session: Session,
    readonly features: Features,
    readonly location: string,
    private readonly database: string,
  ) {}

  static async open(dataDir: string = DEFAULT_DATA_DIR, database = 'breakwater'): Promise<ChdbDriver> {
    const dir = resolve(dataDir);
    mkdirSync(dir, { recursive: true });
    const session = new Session(dir);
    try {
      const version = (await session.queryAsync('SELECT version() AS v', { format: 'JSONEachRow' })).json<{ v: string }>().v;
      const db = assertIdentifier(database);
      await session.queryAsync(`CREATE DATABASE IF NOT EXISTS ${db}`);
      await session.queryAsync(`USE ${db}`);
      mkdirSync(join(dir, SPOOL_DIR), { recursive: true });
      return new ChdbDriver(session, featuresFor(version), dir, db);
    } catch (err) {
      session.close();
      throw err;
    }
  }

  exec(sql: string, settings: Record<string, number> = {}): Promise<void> {
    return this.serial(async () => {
      for (const [k, v] of Object.entries(settings)) {
        await this.session.queryAsync(`SET ${assertIdentifier(k)} = ${Number(v)}`);
      }
      await this.session.queryAsync(sql);
    });
  }

  select<T>(sql: string, params: QueryParams = {}): Promise<T[]> {
    const { values } = bindValues(sql, params);
    return this.serial(async () => {
      const result = await this.session.queryBindAsync(stripTrailingSemicolons(sql), values, { format: 'JSONEachRow' });
      return parseJsonEachRow<T>(result.text());
    });
  }

  async encodeRows(table: string, columns: readonly string[], rows: readonly Row[]): Promise<Buffer> {
    return (await this.encoders.get(assertIdentifier(table), columns.map(assertIdentifier))).encode(rows);
  }

  insertBlock(table: string, columns: readonly string[], block: Buffer): Promise<void> {
    const target = assertIdentifier(table);
    const names = columns.map(assertIdentifier);
    return this.serial(async () => {
      const file = join(this.location, SPOOL_DIR, `${this.database}.${target}.native`);
      await writeFile(file, block);
      const settings = this.features.optimizeOnInsert ? ' SETTINGS optimize_on_insert = 0' : '';
      await this.session.queryAsync(`INSERT INTO ${target} (${names.join(', ')}) SELECT * FROM file(${quoteString(file)}, Native)${settings}`);
    });
  }

  async close(): Promise<void> {
    await this.tail.catch(() => undefined);
    this.session.close();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
