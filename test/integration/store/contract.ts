/**
 * The store behaviour both engines must show, run by embedded.test.ts (chdb) and
 * server.test.ts (the ClickHouse server from test/support/services.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Driver } from '../../../src/store/driver.js';
import { SqlStore } from '../../../src/store/sql-store.js';
import { StoreSchema } from '../../../src/config/store.js';
import { loadMigrations, templateContext } from '../../../src/store/migrations.js';
import { listSavedQueries, loadSavedQuery, resolveParams } from '../../../src/store/saved-queries.js';
import { toClickHouseDateTime } from '../../../src/store/params.js';
import {
  ALERT_ID, WINDOW, at, event, fixtureAlerts, fixtureEvents, fixtureHookRuns, fixtureServerStatus,
} from '../../unit/store/fixture.js';

/** Opens a driver on a fresh, empty database named `name`; drop() removes it. */
export type OpenFresh = (name: string) => Promise<{ driver: Driver; drop(): Promise<void> }>;

const config = StoreSchema.parse({ batch_rows: 1000, batch_ms: 20, retry_initial_ms: 20, retry_max_ms: 200 });

async function run(store: SqlStore, name: string, given: Record<string, string> = {}) {
  const q = loadSavedQuery(name);
  assert.ok(q, `saved query ${name}`);
  return store.query<Record<string, unknown>>(q.sql, resolveParams(q, given));
}

const minute = (m: number) => toClickHouseDateTime(new Date(at(m)));

export function storeContract(engine: string, openFresh: OpenFresh): void {
  test(`${engine}: migrations apply once, resume after a crash between (and inside) migrations`, async () => {
    const { driver, drop } = await openFresh('mig');
    try {
      const store = new SqlStore(driver, config);
      // Migrations with nothing for this server's version are not recorded (they wait for an upgrade).
      const all = loadMigrations(templateContext(driver.features, config)).filter((m) => m.statements.length > 0).map((m) => m.name);
      assert.ok(all.length >= 6);
      await assert.rejects(
        store.migrate({ onApplied: () => { throw new Error('killed'); } }),
        /killed/,
      );
      // Killed inside the next migration: its first statement ran, it was not recorded.
      const next = loadMigrations(templateContext(driver.features, config))[1];
      await driver.exec(next.statements[0], driver.features.lowCardinalitySetting ? { allow_experimental_low_cardinality_type: 1 } : {});
      assert.deepEqual(await store.migrate(), all.slice(1));
      assert.deepEqual(await store.migrate(), []);
      const recorded = await driver.select<{ name: string; n: number }>('SELECT name, count() AS n FROM breakwater_migrations GROUP BY name ORDER BY name');
      assert.deepEqual(recorded.map((r) => [r.name, Number(r.n)]), all.map((n) => [n, 1]));
      const tables = (await driver.select<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase()')).map((r) => r.name);
      for (const t of ['haproxy_events', 'haproxy_rollup_1m', 'haproxy_rollup_1m_mv', 'alerts', 'hook_runs', 'rejects', 'server_status']) {
        assert.ok(tables.includes(t), `${t} exists`);
      }
      const [events] = await driver.select<{ q: string }>("SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = 'haproxy_events'");
      assert.equal(/enable_vertical_merge_algorithm = 0/.test(events.q), driver.features.alterSettings, 'horizontal merges where the server can set them (007)');
      assert.equal(/min_bytes_for_wide_part = 268435456/.test(events.q), driver.features.compactParts, 'compact parts up to 256 MB where the server has them (008)');
    } finally {
      await drop();
    }
  });

  test(`${engine}: a changed ttl_days / rollup_ttl_days reaches the tables on the next migrate (servers with TTL)`, async () => {
    const { driver, drop } = await openFresh('ttl');
    try {
      await new SqlStore(driver, config).migrate();
      const shorter = StoreSchema.parse({ ...config, ttl_days: 7, rollup_ttl_days: 90 });
      const changes = await new SqlStore(driver, shorter).migrate();
      const ttls = async () => Object.fromEntries(
        (await driver.select<{ name: string; q: string }>("SELECT name, create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name IN ('haproxy_events', 'rejects', 'haproxy_rollup_1m', 'alerts')"))
          .map((t) => [t.name, /toIntervalDay\((\d+)\)/.exec(t.q)?.[1] ?? null]),
      );
      if (!driver.features.ttl) {
        assert.deepEqual(changes, [], 'no TTL on this server: nothing to change');
        assert.deepEqual(await ttls(), { haproxy_events: null, rejects: null, haproxy_rollup_1m: null, alerts: null });
        return;
      }
      assert.deepEqual(changes.sort(), [
        'ttl alerts: 400 -> 90 days', 'ttl haproxy_events: 30 -> 7 days', 'ttl haproxy_rollup_1m: 400 -> 90 days',
        'ttl hook_runs: 400 -> 90 days', 'ttl rejects: 30 -> 7 days', 'ttl server_status: 400 -> 90 days',
      ]);
      assert.deepEqual(await ttls(), { haproxy_events: '7', rejects: '7', haproxy_rollup_1m: '90', alerts: '90' });
      assert.deepEqual(await new SqlStore(driver, shorter).migrate(), [], 'applied once');
    } finally {
      await drop();
    }
  });

  test(`${engine}: the fixture inserted twice is counted once; every saved query returns its known answer`, async () => {
    const { driver, drop } = await openFresh('data');
    const store = new SqlStore(driver, config);
    try {
      await store.migrate();
      const events = fixtureEvents();
      for (let i = 0; i < 2; i++) {
        await Promise.all([
          store.insertEvents(events),
          ...fixtureAlerts().map((a) => store.insertAlert(a)),
          ...fixtureHookRuns().map((r) => store.insertHookRun(r)),
          store.insertServerStatus(fixtureServerStatus()),
          store.insertRejects([{ received_at: at(1), host: 'lb1', source: 'f', raw_offset: 7, reason: 'no match', raw: 'garbage' }]),
        ]);
      }
      // Same events re-batched differently (at-least-once redelivery after a restart).
      await store.insertEvents(events.slice(5, 20));
      await store.flush();

      const [raw] = await store.query<{ n: number }>('SELECT count() AS n FROM haproxy_events');
      assert.ok(Number(raw.n) >= events.length, 'duplicates physically present until merged');
      const [final] = await store.query<{ n: number }>('SELECT count() AS n FROM haproxy_events FINAL');
      assert.equal(Number(final.n), events.length);
      const [rolled] = await store.query<{ n: number }>('SELECT sum(k) AS n FROM (SELECT uniqExactMerge(events) AS k FROM haproxy_rollup_1m GROUP BY backend, server, minute)');
      assert.equal(Number(rolled.n), events.length - 0 /* all fixture kinds are http/tcp */);
      const [rejects] = await store.query<{ n: number }>('SELECT count() AS n FROM rejects FINAL');
      assert.equal(Number(rejects.n), 1);

      const overTime = await run(store, 'conn_failures_over_time', { ...WINDOW, backend: 'be_app' });
      assert.deepEqual(
        overTime.map((r) => [r.bucket, r.server, r.requests, r.conn_failures, r.http_5xx, r.http_4xx]),
        [
          [minute(0), 'app1', 5, 0, 0, 0],
          [minute(5), 'app1', 5, 0, 0, 0],
          [minute(10), '<NOSRV>', 1, 1, 1, 0],
          [minute(10), 'app2', 18, 10, 15, 3],
          [minute(10), 'app3', 2, 0, 0, 0],
        ],
      );

      const top = await run(store, 'top_failing_servers', WINDOW);
      assert.deepEqual(
        top.map((r) => [r.backend, r.server, r.requests, r.conn_failures, r.http_5xx, r.retried_requests]),
        [
          ['be_app', 'app2', 18, 10, 15, 10],
          ['be_app', '<NOSRV>', 1, 1, 1, 0],
          ['be_db', 'db1', 2, 1, 0, 0],
        ],
      );

      const around = await run(store, 'termination_around_alert', { alert_id: ALERT_ID });
      assert.deepEqual(
        around.map((r) => [r.phase, r.termination_state, r.requests, r.conn_failures]),
        [
          ['before', 'SC', 2, 2],
          ['before', '--', 1, 0],
          ['during', 'SC', 8, 8],
          ['during', '--', 7, 0],
        ],
      );

      const statuses = await run(store, 'frontend_vs_backend_status', WINDOW);
      assert.deepEqual(
        statuses.map((r) => [r.frontend, r.backend, r.status, r.requests, r.from_server, r.from_haproxy, r.conn_failures]),
        [
          ['fe_api', 'be_app', 200, 2, 0, 0, 0],
          ['fe_main', 'be_app', 200, 10, 0, 0, 0],
          ['fe_main', 'be_app', 404, 3, 0, 0, 0],
          ['fe_main', 'be_app', 500, 5, 5, 0, 0],
          ['fe_main', 'be_app', 503, 11, 0, 11, 11],
        ],
      );

      const timeline = await run(store, 'incident_timeline', { alert_id: ALERT_ID });
      assert.deepEqual(
        timeline.map((r) => [r.what, r.status]),
        [
          ['alert', 'firing'],
          ['server_status', 'DOWN'],
          ['hook:diagnostic', 'ok'],
          ['hook:repair', 'failed'],
          ['hook:repair', 'ok'],
          ['server_status', 'UP'],
          ['alert', 'resolved'],
        ],
      );

      const mix = await run(store, 'request_mix', { ...WINDOW, backend: 'be_app', server: 'app2' });
      assert.deepEqual(
        mix.map((r) => [r.method, r.path, r.requests, r.conn_failures, r.http_5xx, r.http_4xx]),
        [
          ['GET', '/checkout', 10, 10, 10, 0],
          ['POST', '/pay', 5, 0, 5, 0],
          ['GET', '/missing', 3, 0, 0, 3],
        ],
      );

      const alerts = await run(store, 'alerts');
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0].alert_id, ALERT_ID);
      assert.equal(alerts[0].state, 'resolved');
      assert.equal(String(alerts[0].fired_at).slice(0, 19), minute(11));
      assert.equal(String(alerts[0].resolved_at).slice(0, 19), minute(16));

      assert.equal(listSavedQueries().length, 7, 'every saved query is covered above');
    } finally {
      await store.flush().catch(() => undefined);
      await drop();
    }
  });

  test(`${engine}: every column type round-trips (non-ASCII, long strings, nulls, 64-bit, NaN, extra timers)`, async () => {
    const { driver, drop } = await openFresh('types');
    const store = new SqlStore(driver, config);
    try {
      await store.migrate();
      const long = `/${'é😀x'.repeat(60)}?q=${'a'.repeat(300)}`;
      await store.insertEvents([
        event({ minute: 2, second: 7, event_id: 'types-1', server: 'srv-ü', uri: long, bytes_read: 2 ** 40, raw_offset: 2 ** 50, status: -1,
          timers: { TR: -1, Tw: 0, Tc: 2147483647, Tr: 5, Ta: 6, Th: 3 }, captured_response_headers: ['ö', ''], client_ip: null, pid: null }),
      ]);
      const nan = { ...fixtureAlerts()[0], alert_id: 'nan', observed_ratio: Number.NaN, baseline_ratio: Number.POSITIVE_INFINITY };
      await store.insertAlert(nan);
      await store.flush();
      const [row] = await store.query<Record<string, unknown>>(
        `SELECT server, uri, toString(bytes_read) AS bytes_read, toString(raw_offset) AS raw_offset, status, timer_TR, timer_Tc, timers_extra,
                captured_response_headers, client_ip, pid, toString(timestamp) AS ts FROM haproxy_events WHERE event_id = 'types-1'`,
      );
      assert.deepEqual(
        { ...row, ts: String(row.ts).slice(0, 19) },
        { server: 'srv-ü', uri: long, bytes_read: String(2 ** 40), raw_offset: String(2 ** 50), status: -1, timer_TR: -1, timer_Tc: 2147483647,
          timers_extra: '{"Th":3}', captured_response_headers: ['ö', ''], client_ip: null, pid: null, ts: minute(2).slice(0, 17) + '07' },
      );
      const [a] = await store.query<{ o: string; b: string }>("SELECT toString(observed_ratio) AS o, toString(baseline_ratio) AS b FROM alerts WHERE alert_id = 'nan'");
      assert.deepEqual(a, { o: 'nan', b: 'inf' });
    } finally {
      await store.flush().catch(() => undefined);
      await drop();
    }
  });

  test(`${engine}: hostile parameter values are data, matched literally`, async () => {
    const { driver, drop } = await openFresh('hostile');
    const store = new SqlStore(driver, config);
    try {
      await store.migrate();
      const hostile = "app'); DROP TABLE haproxy_events; --\\' \" ; \n\t\\x27 {server:String} `x`";
      const headers = ["a'b\t\\c\n\r", "x,y'] ['z", '\\N', ''];
      await store.insertEvents([event({ minute: 1, server: hostile, uri: "/a?q=' OR 1=1 --", captured_request_headers: headers, message: '\\N' }), event({ minute: 1, server: 'app1' })]);
      const [back] = await store.query<{ h: string[]; m: string }>('SELECT captured_request_headers AS h, message AS m FROM haproxy_events WHERE server = {server:String}', { server: hostile });
      assert.deepEqual(back, { h: headers, m: '\\N' }, 'stored verbatim');
      await store.flush();
      const sql = 'SELECT server, uri, count() AS n FROM haproxy_events FINAL WHERE server = {server:String} GROUP BY server, uri';
      const hit = await store.query<{ server: string; uri: string; n: number }>(sql, { server: hostile });
      assert.deepEqual(hit.map((r) => [r.server, r.uri, Number(r.n)]), [[hostile, "/a?q=' OR 1=1 --", 1]]);
      for (const probe of ["' OR '1'='1", "app1' --", "app1'; SELECT 1; --", 'app1\\', 'app1\n', '{server:String}']) {
        assert.deepEqual(await store.query(sql, { server: probe }), [], `probe ${JSON.stringify(probe)}`);
      }
      const mix = await run(store, 'request_mix', { ...WINDOW, backend: 'be_app', server: hostile });
      assert.equal(mix.length, 1);
      const [{ n }] = await store.query<{ n: number }>('SELECT count() AS n FROM haproxy_events FINAL');
      assert.equal(Number(n), 2, 'table intact');
    } finally {
      await store.flush().catch(() => undefined);
      await drop();
    }
  });
}
