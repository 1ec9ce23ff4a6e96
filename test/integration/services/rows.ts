// Rows and their expected aggregates, shared by the ClickHouse server and chDB smoke tests.
export interface SmokeRow {
  ts: string; // 'YYYY-MM-DD hh:mm:ss' (UTC): the one DateTime text form every ClickHouse release parses
  server: string;
  status: number;
  bytes: number;
}

export interface ServerAggregate {
  server: string;
  n: number;
  bytes: number;
  errors: number;
}

export const SMOKE_TABLE_DDL = `(ts DateTime, server String, status UInt16, bytes UInt32)
  ENGINE = MergeTree PARTITION BY toYYYYMMDD(ts) ORDER BY (server, ts)`;

export const SMOKE_AGGREGATE_SQL = (table: string) =>
  `SELECT server, count() AS n, sum(bytes) AS bytes, countIf(status >= 500) AS errors
   FROM ${table} GROUP BY server ORDER BY server`;

const START = Date.UTC(2024, 0, 1);
const STATUSES = [200, 200, 200, 301, 404, 503, 200];

export function smokeRows(count: number): SmokeRow[] {
  const rows: SmokeRow[] = [];
  for (let i = 0; i < count; i++) {
    rows.push({
      ts: new Date(START + i * 1000).toISOString().slice(0, 19).replace('T', ' '),
      server: `srv${i % 7}_${i % 3}`,
      status: STATUSES[i % STATUSES.length]!,
      bytes: (i * 7919) % 100_000,
    });
  }
  return rows;
}

export function expectedAggregates(rows: readonly SmokeRow[]): ServerAggregate[] {
  const byServer = new Map<string, ServerAggregate>();
  for (const r of rows) {
    const a = byServer.get(r.server) ?? { server: r.server, n: 0, bytes: 0, errors: 0 };
    a.n += 1;
    a.bytes += r.bytes;
    if (r.status >= 500) a.errors += 1;
    byServer.set(r.server, a);
  }
  return [...byServer.values()].sort((x, y) => (x.server < y.server ? -1 : 1));
}

/** ClickHouse's JSON formats give 64-bit integers as strings: make every aggregate a number. */
export function numericAggregates(rows: ReadonlyArray<Record<string, unknown>>): ServerAggregate[] {
  return rows.map((r) => ({ server: String(r.server), n: Number(r.n), bytes: Number(r.bytes), errors: Number(r.errors) }));
}
