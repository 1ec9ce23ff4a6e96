/**
 * Embedded ClickHouse: the chdb package (the ClickHouse engine in-process) over a data
 * directory. The default store: zero setup, same SQL as a server.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Session } from 'chdb';
import { featuresFor, type Features } from './features.js';
import { assertIdentifier, parseJsonEachRow, stripTrailingSemicolons, type Driver } from './driver.js';
import { bindValues } from './params.js';
import type { QueryParams } from './store.js';

export const DEFAULT_DATA_DIR = './.breakwater/data';

export class ChdbDriver implements Driver {
  readonly kind = 'embedded' as const;
  /** chdb runs one statement at a time per session; calls queue here in order. */
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly session: Session,
    readonly features: Features,
    readonly location: string,
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
      return new ChdbDriver(session, featuresFor(version), dir);
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

  insertTsv(table: string, columns: readonly string[], lines: string[]): Promise<void> {
    const body = Buffer.from(lines.join('\n') + '\n');
    return this.serial(async () => {
      await this.session.insert({ table: assertIdentifier(table), columns: columns.map(assertIdentifier), values: body, format: 'TabSeparated' });
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
