/**
 * Embedded ClickHouse: the chdb package (the ClickHouse engine in-process) over a data
 * directory. The default store: zero setup, same SQL as a server.
 *
 * Inserts go as one Native block (native.ts) written to a spool file in the data directory
 * and read with `INSERT … SELECT * FROM file(…, Native)`: chdb's insert API takes text formats
 * only, and parsing TabSeparated cost the engine about twenty times the CPU of reading Native.
 * A block is spooled as soon as it is encoded (a file of its own), so writing it overlaps the
 * insert before it instead of queueing in front of its own insert; the file goes once inserted.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Session } from 'chdb';
import { featuresFor, type Features } from './features.js';
import { assertIdentifier, parseJsonEachRow, stripTrailingSemicolons, type Driver, type Row } from './driver.js';
import { bindValues } from './params.js';
import { quoteString } from './literal.js';
import { COLUMN_TYPES_SQL, TableEncoders, type NativeColumn } from './native.js';
import type { QueryParams } from './store.js';

export const DEFAULT_DATA_DIR = './.breakwater/data';
/** Under the data directory: Native blocks encoded and not yet inserted (DATABASE.TABLE.N.native). */
const SPOOL_DIR = 'insert-spool';
let spoolSeq = 0;

export class ChdbDriver implements Driver {
  readonly kind = 'embedded' as const;
  /** chdb runs one statement at a time per session; calls queue here in order. */
  private tail: Promise<unknown> = Promise.resolve();
  private readonly encoders = new TableEncoders((table) => this.select<NativeColumn>(COLUMN_TYPES_SQL, { table }));
  /** Each encoded block's spool file, written (or being written) while earlier inserts run. */
  private readonly spooled = new WeakMap<Buffer, Promise<string>>();

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
      const spool = join(dir, SPOOL_DIR);
      mkdirSync(spool, { recursive: true });
      // Blocks a previous process spooled and never inserted: their rows were not acknowledged, so they come again.
      for (const f of readdirSync(spool)) if (f.startsWith(`${db}.`)) rmSync(join(spool, f), { force: true });
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
    const target = assertIdentifier(table);
    const block = (await this.encoders.get(target, columns.map(assertIdentifier))).encode(rows);
    this.spool(target, block).catch(() => undefined); // a failed write is retried by insertBlock
    return block;
  }

  insertBlock(table: string, columns: readonly string[], block: Buffer): Promise<void> {
    const target = assertIdentifier(table);
    const names = columns.map(assertIdentifier);
    return this.serial(async () => {
      const file = await (this.spooled.get(block) ?? this.spool(target, block)).catch(() => this.spool(target, block));
      const settings = this.features.optimizeOnInsert ? ' SETTINGS optimize_on_insert = 0' : '';
      await this.session.queryAsync(`INSERT INTO ${target} (${names.join(', ')}) SELECT * FROM file(${quoteString(file)}, Native)${settings}`);
      this.spooled.delete(block);
      await unlink(file).catch(() => undefined);
    });
  }

  /** Writes a block to a spool file of its own; insertBlock() reads it from there. */
  private spool(table: string, block: Buffer): Promise<string> {
    const file = join(this.location, SPOOL_DIR, `${this.database}.${table}.${++spoolSeq}.native`);
    const written = writeFile(file, block).then(() => file);
    this.spooled.set(block, written);
    return written;
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
