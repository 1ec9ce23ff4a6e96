/**
 * The issue-8 scenario on the embedded defaults: real HAProxy balancing three servers under
 * load, `breakwater run`'s composition (in-process bus, chdb store) tailing its syslog file.
 * kill -9 of one server → one alert for exactly that server within 5 s, diagnostics against
 * the real HAProxy, the repair hook restarts the server, the alert resolves, and the store
 * holds the events, the alert, the hook runs and answers the saved queries.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxyLab } from '../support/haproxy-lab.js';
import { assertFailuresAroundAlert } from '../support/lab/incident-queries.js';
import { labPipeline } from '../support/lab/pipeline.js';
import { PipelineRuntime } from '../../src/run/pipeline-runtime.js';
import { loadSavedQuery, resolveParams } from '../../src/store/saved-queries.js';
import type { AlertEvent } from '../../src/detect/alert.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

let lab: HaproxyLab;
let runtime: PipelineRuntime | undefined;
let dir: string;
type SeenAlert = AlertEvent & { seenAt: number };
const alerts: SeenAlert[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-e2e-embedded-'));
  lab = await HaproxyLab.start();
});
after(async () => {
  await runtime?.stop();
  await lab?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('kill one backend server: alert for exactly it within 5 s, diagnostics, restart hook, resolution, stored and queryable', async (t) => {
  runtime = await PipelineRuntime.start({
    pipeline: labPipeline(lab, dir),
    baseDir: dir,
    env: { ...process.env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '' },
    onAlert: (a) => alerts.push({ ...a, seenAt: Date.now() }),
  });
  assert.equal(runtime.busKind, 'memory');
  const load = lab.load({ rate: 60, durationMs: 60_000 });
  await sleep(4000);
  assert.equal(alerts.length, 0, 'no alert on healthy traffic');

  const killedAt = Date.now();
  await lab.killServer(1);
  const firing = await until<SeenAlert>('the firing alert', 10_000, () => alerts.find((a) => a.state === 'firing'));
  t.diagnostic(`alert fired ${firing.seenAt - killedAt} ms after the kill (${firing.rule})`);
  assert.ok(firing.seenAt - killedAt <= 5000, `fired ${firing.seenAt - killedAt} ms after the kill`);
  assert.deepEqual([firing.host, firing.backend, firing.server], ['lab-lb1', 'be_app', 'app2']);

  await until<true>('the restart hook to bring app2 back', 20_000, () => lab.serverRunning(1) || undefined);
  const resolved = await until<SeenAlert>('the resolved alert', 30_000, () => alerts.find((a) => a.state === 'resolved'));
  assert.equal(resolved.alert_id, firing.alert_id, JSON.stringify(alerts.map((a) => [a.state, a.rule, a.server, a.alert_id, a.at, a.summary])));
  const stats = await load.stop();
  assert.ok(stats.sent >= 50 * ((Date.now() - killedAt) / 1000) * 0.9, `load kept >= 50 req/s (${stats.sent} sent)`);
  assert.deepEqual(
    alerts.map((a) => `${a.state} ${a.backend}/${a.server}`),
    ['firing be_app/app2', 'resolved be_app/app2'],
    'exactly one incident, for the killed server',
  );

  await runtime.dispatcher.idle();
  const store = runtime.store;
  await store.flush();
  const [{ n, failures }] = await store.query<{ n: number; failures: number }>(
    "SELECT count() AS n, countIf(conn_failure = 1 AND server = 'app2') AS failures FROM haproxy_events",
  );
  assert.ok(Number(n) >= stats.completed * 0.9, `${n} events stored for ${stats.completed} requests`);
  assert.ok(Number(failures) >= 1, 'connection failures of app2 stored');

  const states = await store.query<{ state: string }>('SELECT state FROM alerts WHERE alert_id = {id:String} ORDER BY at', { id: firing.alert_id });
  assert.deepEqual(states.map((r) => r.state), ['firing', 'resolved']);

  const runs = await store.query<{ phase: string; hook: string; status: string }>(
    'SELECT phase, hook, status FROM hook_runs FINAL WHERE alert_id = {id:String} ORDER BY started_at',
    { id: firing.alert_id },
  );
  const status = (phase: string, hook: string) => runs.find((r) => r.phase === phase && r.hook === hook)?.status;
  assert.equal(status('repair', 'probe_backend'), 'failed', JSON.stringify(runs));
  assert.equal(status('repair', 'restart_backend'), 'ok', JSON.stringify(runs));
  const diagnostics = runs.filter((r) => r.phase === 'diagnostic');
  assert.ok(diagnostics.length >= 3, JSON.stringify(runs));
  assert.ok(diagnostics.some((r) => r.status === 'ok'), JSON.stringify(runs));

  const query = async (name: string, params: Record<string, string>) => {
    const q = loadSavedQuery(name);
    assert.ok(q, name);
    return store.query<Record<string, unknown>>(q.sql, resolveParams(q, params));
  };
  const top = await query('top_failing_servers', {});
  assert.equal(top[0]?.server, 'app2', JSON.stringify(top));
  await assertFailuresAroundAlert(store, firing);
  const timeline = await query('incident_timeline', { alert_id: firing.alert_id });
  assert.ok(timeline.some((r) => r.what === 'hook:repair' && String(r.name).startsWith('restart_backend') && r.status === 'ok'), JSON.stringify(timeline));
});
