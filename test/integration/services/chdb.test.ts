// Proves embedded ClickHouse (chDB, the store's zero-setup default) works: same table, rows and checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { SMOKE_AGGREGATE_SQL, SMOKE_TABLE_DDL, expectedAggregates, numericAggregates, smokeRows } from './rows.js';

test('chdb: MergeTree table in a session directory, 100k rows inserted, aggregates read back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'breakwater-chdb-smoke-'));
  const session = new Session(dir);
  t.after(() => {
    session.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const version = session.query('SELECT version()', 'TabSeparated').trim();
  assert.match(version, /^\d+\.\d+/);
  assert.ok(Number(version.split('.')[0]) >= 24, `chDB engine ${version} is older than expected`);

  await session.queryAsync('CREATE DATABASE smoke');
  await session.queryAsync(`CREATE TABLE smoke.requests ${SMOKE_TABLE_DDL}`);
  const rows = smokeRows(100_000);
  const payload = Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n'));
  const summary = await session.insert({ table: 'smoke.requests', values: payload, format: 'JSONEachRow' });
  assert.equal(summary.rowsWritten, 100_000);

  const totals = session.queryBind(
    'SELECT count() AS n, countIf(status = {status:UInt16}) AS not_found FROM smoke.requests',
    { status: 404 }, 'JSONEachRow');
  const parsed = JSON.parse(totals) as { n: string | number; not_found: string | number };
  assert.equal(Number(parsed.n), 100_000);
  assert.equal(Number(parsed.not_found), rows.filter((r) => r.status === 404).length);

  const perServer = (await session.queryAsync(SMOKE_AGGREGATE_SQL('smoke.requests'), { format: 'JSON' }))
    .json<{ data: Record<string, unknown>[] }>().data;
  assert.deepEqual(numericAggregates(perServer), expectedAggregates(rows));
});
