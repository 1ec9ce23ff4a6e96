/**
 * The store commands as an operator runs them: `breakwater migrate`, `query` and `alerts` (the
 * CLI from source in a child process) against an embedded store in a temp directory holding the
 * fixture incident, and once against the ClickHouse server. Exit codes, the three output
 * formats, and what a bad parameter says.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChdbDriver } from '../../../src/store/embedded.js';
import { SqlStore } from '../../../src/store/sql-store.js';
import { MIGRATIONS_DIR, loadMigrations, templateContext } from '../../../src/store/migrations.js';
import { featuresFor } from '../../../src/store/features.js';
import { toClickHouseDateTime } from '../../../src/store/params.js';
import { ALERT_ID, WINDOW, at, fixtureAlerts, fixtureEvents } from '../../unit/store/fixture.js';
import { clickhouseUrl, uniqueName } from '../../support/services.js';
import { dropTestResources } from '../../support/cleanup.js';

const ENTRY = join(import.meta.dirname, '../ship/cli-entry.ts');
/** Every file in sql/migrations: chdb is a current ClickHouse, every migration has statements for it. */
const MIGRATION_COUNT = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).length;
const dir = mkdtempSync(join(tmpdir(), 'bw-store-cli-'));
const data = join(dir, 'data');
const database = uniqueName('bw_store_cli');
let serverUrl = '';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = { CLICKHOUSE_URL: '' }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', ENTRY, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

before(async () => {
  // The fixture incident, written in-process; the session is closed before any child opens the directory.
  const driver = await ChdbDriver.open(data, 'breakwater');
  const store = new SqlStore(driver);
  await store.migrate();
  await store.insertEvents(fixtureEvents());
  for (const a of fixtureAlerts()) await store.insertAlert(a);
  await store.close();
});

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropTestResources({ clickhouseUrl: serverUrl, database });
});

test('migrate: exit 0, "schema up to date" on a migrated store; a fresh directory gets every migration', async () => {
  const again = await cli(['migrate', '--data', data]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^schema up to date: .*\(ClickHouse \d+\./);
  const fresh = await cli(['migrate', '--data', join(dir, 'fresh')]);
  assert.equal(fresh.code, 0, fresh.stderr);
  const applied = fresh.stdout.split('\n').filter((l) => l.startsWith('applied '));
  assert.deepEqual(applied.slice(0, 2), ['applied 001_haproxy_events', 'applied 002_haproxy_rollup_1m']);
  assert.equal(applied.length, MIGRATION_COUNT);
});

test('query: a saved query as table, json and csv', async () => {
  const window = ['--param', `from=${WINDOW.from}`, '--param', `to=${WINDOW.to}`];
  const json = await cli(['query', 'top_failing_servers', ...window, '--format', 'json', '--data', data]);
  assert.equal(json.code, 0, json.stderr);
  const rows = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(rows.map((r) => [r.backend, r.server, r.requests, r.conn_failures]), [['be_app', 'app2', 18, 10], ['be_app', '<NOSRV>', 1, 1], ['be_db', 'db1', 2, 1]]);

  const csv = await cli(['query', 'top_failing_servers', ...window, '--param', 'limit=1', '--format', 'csv', '--data', data]);
  assert.equal(csv.code, 0, csv.stderr);
  const [header, first, ...rest] = csv.stdout.trimEnd().split('\n');
  assert.deepEqual([header.split(',').slice(0, 3), first.split(',').slice(0, 3), rest], [['backend', 'server', 'requests'], ['be_app', 'app2', '18'], []]);

  const table = await cli(['query', '--sql', 'SELECT server, count() AS requests FROM haproxy_events FINAL WHERE backend = {b:String} GROUP BY server ORDER BY server', '--param', 'b=be_db', '--data', data]);
  assert.equal(table.code, 0, table.stderr);
  assert.deepEqual(table.stdout.split('\n'), ['server  requests', '------  --------', 'db1            2', '']);
});

test('query: a bad parameter value, an unknown query or format is a usage error (exit 2) naming the problem; bad SQL exits 1', async () => {
  const badTime = await cli(['query', 'top_failing_servers', '--param', "from=yesterday'; DROP TABLE alerts", '--data', data]);
  assert.equal(badTime.code, 2);
  assert.match(badTime.stderr, /breakwater query: .*not a time: 'yesterday'; DROP TABLE alerts'/);
  assert.match(badTime.stderr, /usage: breakwater query NAME/);
  const badInt = await cli(['query', 'top_failing_servers', '--param', 'limit=-3', '--data', data]);
  assert.equal(badInt.code, 2);
  assert.match(badInt.stderr, /^breakwater query: parameter limit: -3 is out of range for UInt32$/m);
  const unknown = await cli(['query', 'no_such_query', '--data', data]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no saved query 'no_such_query'/);
  const format = await cli(['query', 'alerts', '--format', 'xml', '--data', data]);
  assert.equal(format.code, 2);
  assert.match(format.stderr, /--format must be table, json or csv/);
  const sql = await cli(['query', '--sql', 'SELECT nope FROM nowhere', '--data', data]);
  assert.equal(sql.code, 1);
  assert.match(sql.stderr, /^breakwater query: .*nowhere/m);
});

test('alerts: table and --json (ISO times, resolved_at), --since filters, a bad --since exits 2', async () => {
  const table = await cli(['alerts', '--data', data]);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^alert_id\s+state\s+rule\s+host\s+backend\s+server\s+fired_at\s+resolved_at/);
  assert.equal(lines.length, 3, 'header, rule, one alert');
  assert.match(lines[2], new RegExp(`^${ALERT_ID}\\s+resolved\\s+conn_failures_above_normal`));

  const json = await cli(['alerts', '--json', '--data', data]);
  assert.equal(json.code, 0, json.stderr);
  const [alert] = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual([alert.alert_id, alert.state, alert.fired_at, alert.resolved_at], [ALERT_ID, 'resolved', at(11), at(16)]);

  const recent = await cli(['alerts', '--since', '1m', '--data', data]);
  assert.equal(recent.code, 0, recent.stderr);
  assert.equal(recent.stdout, '(no rows)\n', 'the fixture alert fired hours ago');
  const bad = await cli(['alerts', '--since', 'yesterday', '--data', data]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--since expects a duration like 30m, 24h or 7d, got 'yesterday'/);
});

test('on the ClickHouse server (CLICKHOUSE_URL): migrate, query with a bound parameter, alerts --json', async () => {
  serverUrl = await clickhouseUrl();
  const env = { CLICKHOUSE_URL: serverUrl, CLICKHOUSE_DATABASE: database };
  const migrate = await cli(['migrate'], env);
  assert.equal(migrate.code, 0, migrate.stderr);
  const version = JSON.parse((await cli(['query', '--sql', 'SELECT version() AS v', '--format', 'json'], env)).stdout).v as string;
  const forServer = loadMigrations(templateContext(featuresFor(version), { ttl_days: 30, rollup_ttl_days: 400 }));
  const expected = forServer.filter((m) => m.statements.length > 0).map((m) => `applied ${m.name}`);
  assert.deepEqual(migrate.stdout.split('\n').filter((l) => l.startsWith('applied 0')), expected, `ClickHouse ${version}: the migrations with statements for it, and only those`);
  const hostile = "x' OR 1=1; --";
  const query = await cli(['query', '--sql', 'SELECT {s:String} AS s, {t:DateTime} AS t', '--param', `s=${hostile}`, '--param', `t=${WINDOW.from}`, '--format', 'json'], env);
  assert.equal(query.code, 0, query.stderr);
  assert.deepEqual(JSON.parse(query.stdout), { s: hostile, t: toClickHouseDateTime(new Date(WINDOW.from)) });
  const alerts = await cli(['alerts', '--json'], env);
  assert.equal(alerts.code, 0, alerts.stderr);
  assert.equal(alerts.stdout, '', 'no alerts: no lines');
});
