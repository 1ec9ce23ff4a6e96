// Proves the ClickHouse server is real: a MergeTree table, 100 k rows in, aggregates out, checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@clickhouse/client';
import { clickhouseUrl, uniqueName } from '../../support/services.js';
import { SMOKE_AGGREGATE_SQL, SMOKE_TABLE_DDL, expectedAggregates, numericAggregates, smokeRows } from './rows.js';

test('clickhouse server: MergeTree table, 100k rows inserted, aggregates read back', async (t) => {
  const client = createClient({ url: await clickhouseUrl(), request_timeout: 60_000 });
  const database = uniqueName('smoke_ch');
  t.after(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client.close();
  });

  await client.command({ query: `CREATE DATABASE ${database}` });
  await client.command({ query: `CREATE TABLE ${database}.requests ${SMOKE_TABLE_DDL}` });
  const rows = smokeRows(100_000);
  await client.insert({ table: `${database}.requests`, values: rows, format: 'JSONEachRow' });

  const totals = await (await client.query({
    query: `SELECT count() AS n, toUnixTimestamp(min(ts)) AS first, toUnixTimestamp(max(ts)) AS last FROM ${database}.requests`,
    format: 'JSONEachRow',
  })).json<{ n: string; first: number; last: number }>();
  assert.equal(Number(totals[0]!.n), 100_000);
  assert.equal(Number(totals[0]!.first), Date.UTC(2024, 0, 1) / 1000);
  assert.equal(Number(totals[0]!.last) - Number(totals[0]!.first), 99_999);

  const perServer = await (await client.query({ query: SMOKE_AGGREGATE_SQL(`${database}.requests`), format: 'JSONEachRow' }))
    .json<Record<string, unknown>>();
  assert.deepEqual(numericAggregates(perServer), expectedAggregates(rows));
});
