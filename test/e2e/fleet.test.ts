/**
 * The issue-8 scenario in fleet mode: two real HAProxy load balancers under load, each logging
 * through syslog to a file, a `breakwater ship` on each tailing it into the real Kafka, two
 * `breakwater process` instances sharing the consumer group, the real ClickHouse server as the
 * store (the built CLI, as deployed; run `npm run build` first, `npm test` does). The processors'
 * pack describes both load balancers in `haproxy.hosts` (runtime API, config, servers, the
 * service manager in the hooks' env) and polls both runtime APIs from one processor. kill -9 of
 * one backend server behind lb2: exactly one alert, for that server on lb2, within 5 s;
 * diagnostics and the restart hook act on lb2's HAProxy and server; the alert resolves; the
 * server holds events, the alert, the hook runs and answers the saved queries.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { HaproxyLab } from '../support/haproxy-lab.js';
import { assertFailuresAroundAlert } from '../support/lab/incident-queries.js';
import { labHostTarget, labPipeline } from '../support/lab/pipeline.js';
import { clickhouseUrl, kafkaBrokers, uniqueName } from '../support/services.js';
import { dropTestResources } from '../support/cleanup.js';
import { openStore } from '../../src/store/open.js';
import type { SqlStore } from '../../src/store/sql-store.js';
import { loadSavedQuery, resolveParams } from '../../src/store/saved-queries.js';

const CLI = join(import.meta.dirname, '../../bin/breakwater.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let lab: HaproxyLab;
let lab2: HaproxyLab;
let dir: string;
let brokers: string[];
let chUrl: string;
let store: SqlStore | undefined;
const prefix = `${uniqueName('bw_fleet')}.`;
const database = uniqueName('bw_fleet');
const children: Array<{ name: string; child: ChildProcess; stderr: string[] }> = [];

function startCli(name: string, args: string[], env: NodeJS.ProcessEnv): void {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const entry = { name, child, stderr: [] as string[] };
  child.stderr!.on('data', (d: Buffer) => {
    entry.stderr.push(d.toString());
    if (entry.stderr.length > 200) entry.stderr.shift();
  });
  children.push(entry);
}

async function stopAll(): Promise<void> {
  await Promise.all(
    children.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    }),
  );
}

before(async () => {
  [brokers, chUrl] = await Promise.all([kafkaBrokers(), clickhouseUrl()]);
  dir = mkdtempSync(join(tmpdir(), 'bw-e2e-fleet-'));
  [lab, lab2] = await Promise.all([HaproxyLab.start({ hostname: 'fleet-lb1' }), HaproxyLab.start({ hostname: 'fleet-lb2' })]);
});

after(async () => {
  await stopAll();
  await store?.close();
  await lab?.stop();
  await lab2?.stop();
  await dropTestResources({ brokers, topicPrefix: prefix, clickhouseUrl: chUrl, database });
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const logs = children.map((c) => `--- ${c.name} (exit ${c.child.exitCode})\n${c.stderr.join('').slice(-3000)}`).join('\n');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${logs}`);
    }
    await sleep(200);
  }
}

interface AlertRow {
  alert_id: string;
  state: string;
  host: string;
  backend: string;
  server: string;
  at: string;
}

test('fleet: ship → Kafka → two processors → ClickHouse server; kill one backend server', async (t) => {
  // One pack per load balancer for its shipper (its log). The processors' pack describes both
  // load balancers by syslog host; its top-level HAProxy settings point nowhere, so a hook or
  // diagnostic that ignored the alert's host would fail.
  const writePack = (l: HaproxyLab, name: string, fleet = false) => {
    const packDir = mkdtempSync(join(dir, `${name}-`));
    const pipeline = labPipeline(l, packDir);
    pipeline.name = 'e2e-fleet';
    pipeline.bus = { ...pipeline.bus, type: 'kafka', kafka: { ...pipeline.bus.kafka, topic_prefix: prefix, partitions: 4, linger_ms: 5 } };
    pipeline.store = { ...pipeline.store, database };
    pipeline.stats = { ...pipeline.stats, enabled: fleet, host: undefined };
    if (fleet) {
      const nowhere = join(packDir, 'no-haproxy-here');
      pipeline.haproxy = {
        ...pipeline.haproxy,
        config_file: `${nowhere}.cfg`,
        log_file: `${nowhere}.log`,
        runtime_socket: `${nowhere}.sock`,
        backends: {},
        hosts: { [lab.hostname]: labHostTarget(lab), [lab2.hostname]: labHostTarget(lab2) },
      };
      const restart = pipeline.hooks.repair.find((h) => h.name === 'restart_backend');
      if (restart?.type === 'restart_service') restart.argv = HaproxyLab.restartArgvFromEnv();
    }
    const path = join(packDir, 'pipeline.yaml');
    writeFileSync(path, stringify(pipeline));
    return path;
  };
  const ship1 = writePack(lab, 'lb1');
  const ship2 = writePack(lab2, 'lb2');
  const processors = writePack(lab, 'central', true);
  const env = { ...process.env, KAFKA_BROKERS: brokers.join(','), CLICKHOUSE_URL: chUrl, CLICKHOUSE_DATABASE: database, LOG_LEVEL: 'info' };

  // Two processors in one consumer group split the partitions of haproxy.events; one of them
  // polls the runtime API of both load balancers.
  startCli('process-1', ['process', '-c', processors, '--port', '0'], env);
  startCli('process-2', ['process', '-c', processors, '--port', '0', '--no-stats'], env);
  startCli('ship-lb1', ['ship', '-c', ship1, '--port', '0'], env);
  startCli('ship-lb2', ['ship', '-c', ship2, '--port', '0'], env);

  store = await until('the ClickHouse database', 60_000, async () =>
    openStore({ config: { database }, env: { CLICKHOUSE_URL: chUrl }, migrate: false })
      .then(async (s) => {
        const ok = await s.query('SELECT count() AS n FROM haproxy_events').then(() => true, () => false);
        if (!ok) await s.close();
        return ok ? s : undefined;
      })
      .catch(() => undefined),
  );
  const s = store;
  const count = async (sql: string, params = {}) => Number((await s.query<{ n: string }>(sql, params))[0]?.n ?? 0);

  const load = lab.load({ rate: 60, durationMs: 90_000 });
  const load2 = lab2.load({ rate: 60, durationMs: 90_000 });
  await until('events in ClickHouse', 60_000, async () => ((await count('SELECT count() AS n FROM haproxy_events')) > 100 ? true : undefined));
  await sleep(3000);
  assert.equal(await count('SELECT count() AS n FROM alerts'), 0, 'no alert on healthy traffic');

  const killedAt = Date.now();
  await lab2.killServer(1);
  const alertRows = () => s.query<AlertRow>('SELECT alert_id, state, host, backend, server, toString(at) AS at FROM alerts ORDER BY at');
  const firing = await until('the firing alert', 20_000, async () => (await alertRows()).find((a) => a.state === 'firing'));
  const firedAfter = Date.now() - killedAt;
  t.diagnostic(`firing alert visible in ClickHouse ${firedAfter} ms after the kill`);
  assert.deepEqual([firing.host, firing.backend, firing.server], ['fleet-lb2', 'be_app', 'app2']);
  // toString: the column is DateTime64(3) on recent servers, DateTime on 18.16 (both UTC).
  const [{ fired_at }] = await s.query<{ fired_at: string }>('SELECT toString(min(fired_at)) AS fired_at FROM alerts WHERE alert_id = {id:String}', {
    id: firing.alert_id,
  });
  const firedMs = Date.parse(`${fired_at.replace(' ', 'T')}Z`);
  assert.ok(firedMs - killedAt <= 5000, `fired ${firedMs - killedAt} ms after the kill (event time, ${fired_at})`);

  await until('the restart hook to bring lb2\'s app2 back', 30_000, async () => (lab2.serverRunning(1) ? true : undefined));
  await until('the resolved alert', 40_000, async () => (await alertRows()).find((a) => a.state === 'resolved'));
  await Promise.all([load.stop(), load2.stop()]);
  await sleep(2000);
  const alerts = await alertRows();
  assert.deepEqual(
    alerts.map((a) => `${a.state} ${a.host} ${a.backend}/${a.server} ${a.alert_id}`),
    [`firing fleet-lb2 be_app/app2 ${firing.alert_id}`, `resolved fleet-lb2 be_app/app2 ${firing.alert_id}`],
    // lb1's app2 stayed up: no alert for it
    'exactly one incident across the two processors',
  );

  const runs = await s.query<{ phase: string; hook: string; status: string; output: string }>(
    'SELECT phase, hook, status, output FROM hook_runs WHERE alert_id = {id:String} ORDER BY started_at',
    { id: firing.alert_id },
  );
  const status = (phase: string, hook: string) => runs.find((r) => r.phase === phase && r.hook === hook)?.status;
  assert.equal(status('repair', 'restart_backend'), 'ok', JSON.stringify(runs));
  // The diagnostics read lb2's HAProxy: its config check, its runtime API, its log.
  const output = (hook: string) => runs.find((r) => r.phase === 'diagnostic' && r.hook === hook)?.output ?? '';
  for (const hook of ['haproxy_config_check', 'runtime_servers_state', 'recent_log_lines']) assert.equal(status('diagnostic', hook), 'ok', `${hook}: ${JSON.stringify(runs)}`);
  assert.match(output('runtime_show_stat'), /svname=app2 status=DOWN/, 'show stat of lb2 (lb1\'s app2 is UP)');
  assert.match(output('recent_log_lines'), /fleet-lb2 haproxy\[\d+\]: .*be_app\/app2/, 'log tail of lb2');
  assert.ok((await count("SELECT count() AS n FROM haproxy_events WHERE host = 'fleet-lb2' AND server = 'app2' AND conn_failure = 1")) >= 1);
  assert.ok((await count("SELECT count() AS n FROM haproxy_events WHERE host = 'fleet-lb1'")) > 100, 'lb1 shipped too');
  // Polls are stored in batches of their own: wait for both hosts (the until() error shows the processors' logs).
  const polled = await until('server_status rows of both load balancers', 15_000, async () => {
    const hosts = (await s.query<{ host: string }>("SELECT DISTINCT host FROM server_status WHERE server = 'app2' ORDER BY host")).map((r) => r.host);
    return hosts.length === 2 ? hosts : undefined;
  });
  assert.deepEqual(polled, ['fleet-lb1', 'fleet-lb2'], 'one processor polled both runtime APIs');

  const query = async (name: string, params: Record<string, string>) => {
    const q = loadSavedQuery(name);
    assert.ok(q, name);
    return s.query<Record<string, unknown>>(q.sql, resolveParams(q, params));
  };
  const top = await query('top_failing_servers', {});
  assert.equal(top[0]?.server, 'app2', JSON.stringify(top));
  await assertFailuresAroundAlert(s, firing);
});
