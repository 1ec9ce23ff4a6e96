/**
 * The Store both engines share: migrations, row encoding and batched, retried inserts over a
 * Driver (embedded chdb or a ClickHouse server). See the README's store section for the
 * schema and why duplicates never count twice.
 */
import type { HaproxyEvent } from '../haproxy/event.js';
import type { AlertEvent } from '../detect/alert.js';
import type { StoreConfig } from '../config/store.js';
import { StoreSchema } from '../config/store.js';
import type { Driver, Row as Values } from './driver.js';
import { Batcher } from './batcher.js';
import { migrate, type MigrateOptions } from './migrations.js';
import { alertRow, eventColumns, eventValues, hookRunRow, rejectRow, serverStatusRow, TimeFormat, type Row } from './rows.js';
import type { HookRunRow, QueryParams, RejectRow, ServerStatusRow, Store } from './store.js';

const TABLES = ['haproxy_events', 'rejects', 'alerts', 'hook_runs', 'server_status'] as const;
type Table = (typeof TABLES)[number];

export class SqlStore implements Store {
  private readonly time: TimeFormat;
  private readonly batchers: Record<Table, Batcher<Values, Buffer>>;
  private closed = false;
  /** Each table's columns: fixed for events, else the key order of its row objects (rows.ts). */
  private readonly columns = new Map<Table, string[]>();

  constructor(
    readonly driver: Driver,
    private readonly config: StoreConfig = StoreSchema.parse({}),
  ) {
    this.time = new TimeFormat(driver.features);
    const make = (table: Table) =>
      new Batcher<Values, Buffer>({
        table,
        maxRows: config.batch_rows,
        maxDelayMs: config.batch_ms,
        maxBuffered: Math.max(config.max_buffered_rows, config.batch_rows),
        retryInitialMs: config.retry_initial_ms,
        retryMaxMs: config.retry_max_ms,
        prepare: (rows) => driver.encodeRows(table, this.columns.get(table) as string[], rows),
        write: (block) => driver.insertBlock(table, this.columns.get(table) as string[], block),
      });
    this.batchers = Object.fromEntries(TABLES.map((t) => [t, make(t)])) as Record<Table, Batcher<Values, Buffer>>;
    this.columns.set('haproxy_events', eventColumns(driver.features));
  }

  get kind(): Driver['kind'] {
    return this.driver.kind;
  }

  migrate(opts?: MigrateOptions): Promise<string[]> {
    return migrate(this.driver, this.config, opts);
  }

  insertEvents(events: HaproxyEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (events.length === 0) return Promise.resolve();
    const features = this.driver.features;
    const values = new Array<Values>(events.length);
    for (let i = 0; i < events.length; i++) values[i] = eventValues(events[i], this.time, features);
    return this.batchers.haproxy_events.add(values);
  }

  insertRejects(rows: RejectRow[]): Promise<void> {
    return this.add('rejects', rows.map((r) => rejectRow(r, this.time)));
  }

  insertAlert(alert: AlertEvent): Promise<void> {
    return this.add('alerts', [alertRow(alert, this.time)]);
  }

  insertHookRun(run: HookRunRow): Promise<void> {
    return this.add('hook_runs', [hookRunRow(run, this.time)]);
  }

  insertServerStatus(rows: ServerStatusRow[]): Promise<void> {
    return this.add('server_status', rows.map((r) => serverStatusRow(r, this.time)));
  }

  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]> {
    return this.driver.select<T>(sql, params);
  }

  /** Rows buffered and not yet durable, per table. */
  pending(): Record<string, number> {
    return Object.fromEntries(TABLES.map((t) => [t, this.batchers[t].pending]));
  }

  async flush(): Promise<void> {
    await Promise.all(TABLES.map((t) => this.batchers[t].flush()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.driver.close();
  }

  private add(table: Table, rows: Row[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (rows.length === 0) return Promise.resolve();
    let columns = this.columns.get(table);
    if (!columns) this.columns.set(table, (columns = Object.keys(rows[0])));
    const values = new Array<Values>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      values[i] = Object.values(rows[i]);
      if (values[i].length !== columns.length) throw new Error(`${table}: row has ${values[i].length} columns, expected ${columns.length}`);
    }
    return this.batchers[table].add(values);
  }
}
