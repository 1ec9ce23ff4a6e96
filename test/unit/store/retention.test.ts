import { test } from 'node:test';
import assert from 'node:assert/strict';
import { featuresFor } from '../../../src/store/features.js';
import { loadMigrations, templateContext } from '../../../src/store/migrations.js';
import { liveTtlDays, wantedTtls } from '../../../src/store/retention.js';

test('the wanted TTL of every table comes from its rendered migration and the configured days', () => {
  const migrations = loadMigrations(templateContext(featuresFor('26.7.2.1'), { ttl_days: 7, rollup_ttl_days: 90 }));
  assert.deepEqual(
    Object.fromEntries(wantedTtls(migrations).map((t) => [t.table, `${t.expression} ${t.days}`])),
    {
      haproxy_events: 'toDate(timestamp) 7',
      haproxy_rollup_1m: 'minute 90',
      alerts: 'toDate(fired_at) 90',
      hook_runs: 'toDate(started_at) 90',
      rejects: 'toDate(received_at) 7',
      server_status: 'toDate(at) 90',
    },
  );
  assert.deepEqual(wantedTtls(loadMigrations(templateContext(featuresFor('18.16.1'), { ttl_days: 7, rollup_ttl_days: 90 }))), [], 'no TTL before 19.6');
});

test('the live TTL is read back as ClickHouse normalises it', () => {
  assert.equal(liveTtlDays('CREATE TABLE db.t (`d` Date) ENGINE = MergeTree ORDER BY d TTL toDate(d) + toIntervalDay(30) SETTINGS index_granularity = 8192'), 30);
  assert.equal(liveTtlDays('CREATE TABLE db.t (`d` Date) ENGINE = MergeTree ORDER BY d SETTINGS index_granularity = 8192'), null);
});
