import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { RepairDispatcher } from '../../../src/repair/dispatcher.js';
import type { Bus } from '../../../src/bus/bus.js';
import { RecordingStore, alertEvent, pipeline } from './fixtures.js';
import { webhookReceiver } from '../notify/receiver.js';
import { freePort } from '../../support/haproxy-lab.js';

const NODE = process.execPath;
const noDiagnostics = { enabled: false };

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'bw-disp-'));
}

/** An exec hook running a node one-liner that writes its environment to $OUT. */
const dumpEnv = (name: string, over: Record<string, unknown> = {}) => ({
  name,
  type: 'exec',
  argv: [NODE, '-e', 'require("fs").writeFileSync(process.env.OUT, JSON.stringify(process.env))'],
  ...over,
});

test('a new pack is a dry run: hooks are recorded as dry_run and nothing runs', async () => {
  const dir = tempDir();
  try {
    const sentinel = join(dir, 'ran');
    const store = new RecordingStore();
    const d = new RepairDispatcher({
      pipeline: pipeline({
        haproxy: { backends: { app: { service: 'app.service' } } },
        hooks: { diagnostics: noDiagnostics, repair: [{ name: 'touch', type: 'exec', argv: ['touch', sentinel] }, { name: 'restart', type: 'restart_service' }, { name: 'drain', type: 'haproxy_runtime', action: 'drain' }] },
        notify: { bus: false },
      }),
      baseDir: dir,
      store,
      bus: null,
    });
    await d.dispatch(alertEvent());
    await d.close();
    assert.equal(existsSync(sentinel), false);
    const runs = store.runs('repair');
    assert.deepEqual(runs.map((r) => [r.hook, r.status, r.dry_run]), [['touch', 'dry_run', true], ['restart', 'dry_run', true], ['drain', 'dry_run', true]]);
    assert.match(runs[0].output, /would run "touch"/);
    assert.match(runs[1].output, /would run "systemctl" "restart" "app.service" for app\/web1, then probe it/);
    assert.match(runs[2].output, /would send "set server app\/web1 state drain"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exec hook: alert in env vars, target from haproxy.backends, cwd; hostile names execute nothing', async () => {
  const dir = tempDir();
  try {
    const sentinel = join(dir, 'pwned');
    const out = join(dir, 'env.json');
    const hostile = [`x;touch ${sentinel}`, `$(touch ${sentinel})`, `\`touch ${sentinel}\``, `a'b"c\ntouch ${sentinel}`, `-rf /; touch ${sentinel} #`];
    const store = new RecordingStore();
    const backends: Record<string, unknown> = {};
    for (const name of hostile) backends[name] = { service: 'svc', servers: { [name]: { ip: '10.0.0.7', port: 8080, health_url: 'http://10.0.0.7:8080/health' } } };
    const d = new RepairDispatcher({
      pipeline: pipeline({
        haproxy: { backends: { ...backends, app: { service: 'app.service', servers: { web1: { ip: '10.0.0.7', port: 8080, health_url: 'http://10.0.0.7:8080/health' } } } } },
        hooks: {
          dry_run: false,
          diagnostics: { probe: false, haproxy_check: false, runtime_stats: true, log_lines: 5, log_scan_bytes: 1024, store_breakdown_minutes: 0, timeout_ms: 500 },
          repair: [
            dumpEnv('dump', { env: { OUT: out }, cwd: '.', cooldown_s: 0, max_runs_per_hour: 100 }),
            { name: 'drain', type: 'haproxy_runtime', action: 'drain', cooldown_s: 0, max_runs_per_hour: 100 },
          ],
        },
        notify: { bus: false },
      }),
      baseDir: dir,
      store,
      bus: null,
    });
    await d.dispatch(alertEvent({ alert_id: 'a1', samples: ['GET /x'] }));
    await d.idle();
    const env = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(env.BACKEND_NAME, 'app');
    assert.equal(env.BACKEND_SERVER_NAME, 'web1');
    assert.equal(env.BACKEND_SERVER_IP, '10.0.0.7');
    assert.equal(env.BACKEND_SERVER_PORT, '8080');
    assert.equal(env.BACKEND_SERVER_URL, 'http://10.0.0.7:8080/health');
    assert.equal(env.BACKEND_SERVICE_NAME, 'app.service');
    assert.equal(env.ALERT_ID, 'a1');
    assert.equal(env.ALERT_STATE, 'firing');
    assert.equal(env.HOST, 'lb1');
    assert.equal(env.BREAKWATER_HOOK, 'dump');
    assert.equal(env.PWD ?? dir, dir);
    for (const [i, name] of hostile.entries()) {
      await d.dispatch(alertEvent({ alert_id: `h${i}`, backend: name, server: name, host: name, summary: name, rule: 'conn_failures_above_normal', samples: [name] }));
      await d.idle();
      const got = JSON.parse(readFileSync(out, 'utf8'));
      assert.equal(got.BACKEND_NAME, name, 'passed verbatim as data');
      assert.equal(got.BACKEND_SERVER_IP, '10.0.0.7');
      const drain = store.runs('repair', 'drain').at(-1);
      assert.equal(drain?.status, 'error');
      assert.match(drain?.reason ?? '', /characters HAProxy names cannot have/);
    }
    await d.close();
    assert.equal(existsSync(sentinel), false, 'no hostile name was executed');
    const diag = store.runs('diagnostic', 'runtime_show_stat');
    assert.ok(diag.length >= hostile.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('guardrails in the chain: kill switch, min evaluations, run_if after a failed probe, resolved hooks', async () => {
  const dir = tempDir();
  try {
    const out = join(dir, 'env.json');
    const closed = await freePort();
    const p = pipeline({
      haproxy: { runtime_socket: join(dir, 'none.sock'), backends: { app: { servers: { web1: { ip: '127.0.0.1', port: closed } } } } },
      hooks: {
        dry_run: false,
        diagnostics: noDiagnostics,
        repair: [
          { name: 'probe', type: 'probe_backend', cooldown_s: 0, timeout_ms: 500 },
          dumpEnv('restart', { run_if: 'previous_failed', env: { OUT: out }, cooldown_s: 0, min_evaluations: 3 }),
          { name: 'undrain', type: 'haproxy_runtime', action: 'ready', on: ['resolved'], cooldown_s: 0 },
        ],
      },
      notify: { bus: false },
    });
    const store = new RecordingStore();
    const killed = new RepairDispatcher({ pipeline: p, baseDir: dir, store, bus: null, env: { ...process.env, BREAKWATER_HOOKS_DISABLED: '1' } });
    await killed.dispatch(alertEvent({ alert_id: 'k' }));
    await killed.close();
    assert.deepEqual(store.runs('repair').map((r) => [r.hook, r.status]), [['probe', 'skipped'], ['restart', 'skipped']]);
    assert.ok(store.runs('repair').every((r) => /kill switch: BREAKWATER_HOOKS_DISABLED=1/.test(r.reason ?? '')));

    store.hookRuns = [];
    const d = new RepairDispatcher({ pipeline: p, baseDir: dir, store, bus: null });
    await d.dispatch(alertEvent({ alert_id: 'e', evaluations: 2 }));
    await d.idle();
    assert.deepEqual(store.runs('repair').map((r) => [r.hook, r.status]), [['probe', 'failed'], ['restart', 'skipped']]);
    assert.match(store.runs('repair', 'restart')[0].reason ?? '', /held 2 evaluation\(s\), hook needs 3/);
    assert.match(store.runs('repair', 'probe')[0].output, /ECONNREFUSED/);

    // The detector re-reports alert 'e' with more evaluations: now the restart may run.
    store.hookRuns = [];
    await d.dispatch(alertEvent({ alert_id: 'e', evaluations: 3 }));
    await d.idle();
    assert.deepEqual(store.runs('repair').map((r) => [r.hook, r.status]), [['probe', 'failed'], ['restart', 'ok']]);

    store.hookRuns = [];
    await d.dispatch(alertEvent({ alert_id: 'f', evaluations: 3, server: 'web9' }));
    await d.idle();
    assert.deepEqual(store.runs('repair').map((r) => [r.hook, r.status]), [['probe', 'failed'], ['restart', 'ok']]);
    assert.ok(existsSync(out));

    // A healthy backend: the restart is not needed.
    const srv = createServer((_q, s) => s.end('ok')).listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const port = (srv.address() as { port: number }).port;
    const healthy = pipeline({ ...p, haproxy: { backends: { app: { servers: { web1: { ip: '127.0.0.1', port } } } } } });
    store.hookRuns = [];
    const d2 = new RepairDispatcher({ pipeline: healthy, baseDir: dir, store, bus: null });
    await d2.dispatch(alertEvent({ alert_id: 'g', evaluations: 5 }));
    await d2.idle();
    await d2.dispatch(alertEvent({ alert_id: 'g', state: 'resolved', resolved_at: '2026-11-21T00:15:00.000Z' }));
    await d2.close();
    srv.close();
    assert.deepEqual(store.runs('repair').map((r) => [r.hook, r.status]), [['probe', 'ok'], ['restart', 'skipped'], ['undrain', 'error']]);
    assert.match(store.runs('repair', 'restart')[0].reason ?? '', /previous hook probe succeeded/);
    assert.match(store.runs('repair', 'probe')[0].output, /HTTP\/1\.1 200/);
    await d.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('storm of 1,000 alerts: no hook runs more often than cooldown, circuit breaker and concurrency allow', async () => {
  const dir = tempDir();
  const rx = await webhookReceiver(() => ({ status: 200, delayMs: 20 }));
  try {
    const store = new RecordingStore();
    const d = new RepairDispatcher({
      pipeline: pipeline({
        hooks: {
          dry_run: false,
          max_concurrent: 3,
          diagnostics: noDiagnostics,
          repair: [
            { name: 'webhook', type: 'http', url_env: 'BW_STORM_URL', retries: 0, cooldown_s: 0, max_runs_per_hour: 40, max_concurrent: 2 },
            { name: 'script', type: 'exec', argv: ['true'], cooldown_s: 600, max_runs_per_hour: 7, max_concurrent: 5 },
          ],
        },
        notify: { bus: false },
      }),
      baseDir: dir,
      store,
      bus: null,
      env: { ...process.env, BW_STORM_URL: `${rx.url}/storm` },
    });
    const started = Date.now();
    for (let i = 0; i < 1000; i++) await d.dispatch(alertEvent({ alert_id: `s${i}`, server: `web${i % 20}` }));
    const dispatchMs = Date.now() - started;
    await d.close();
    const web = store.runs('repair', 'webhook');
    const script = store.runs('repair', 'script');
    assert.equal(web.length, 1000, 'every attempt recorded');
    assert.equal(script.length, 1000);
    const webRan = web.filter((r) => r.status !== 'skipped');
    const scriptRan = script.filter((r) => r.status !== 'skipped');
    assert.ok(webRan.length >= 1 && webRan.length <= 40, `webhook ran ${webRan.length} times`);
    assert.ok(scriptRan.length >= 1 && scriptRan.length <= 7, `script ran ${scriptRan.length} times`);
    assert.equal(new Set(scriptRan.map((r) => r.target)).size, scriptRan.length, 'once per target within the cooldown');
    assert.ok(rx.maxInflight() <= 2, `webhook concurrency ${rx.maxInflight()}`);
    assert.equal(rx.received.length, webRan.length);
    for (const r of [...web, ...script].filter((x) => x.status === 'skipped')) assert.match(r.reason ?? '', /concurrent|cooldown|circuit open/);
    assert.ok(dispatchMs < 5000, `dispatch stayed fast (${dispatchMs} ms)`);
  } finally {
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('http hook: signed JSON webhook; verify records time to recover; escalation when not recovered', async () => {
  const dir = tempDir();
  const secretKey = 'hmac-key-0123456789';
  const rx = await webhookReceiver((r) => ({ status: 200, body: `echo ${r.path}` }));
  try {
    const env = { ...process.env, BW_HOOK_URL: `${rx.url}/hooks/SECRETPATH123`, BW_HOOK_KEY: secretKey, BW_AM_URL: `${rx.url}/am/AMSECRET456` };
    const store = new RecordingStore();
    const d = new RepairDispatcher({
      pipeline: pipeline({
        hooks: {
          dry_run: false,
          diagnostics: { probe: true, haproxy_check: false, runtime_stats: false, log_lines: 0, store_breakdown_minutes: 15, timeout_ms: 300 },
          repair: [{ name: 'remote', type: 'http', url_env: 'BW_HOOK_URL', hmac_secret_env: 'BW_HOOK_KEY', cooldown_s: 0 }],
          verify: { deadline_s: 0.3 },
        },
        notify: { bus: false, webhooks: [{ name: 'am', url_env: 'BW_AM_URL' }] },
      }),
      baseDir: dir,
      store,
      bus: null,
      env,
      serverStatus: (_host, b, s) => (b === 'app' && s === 'web2' ? { at: '2026-11-21T00:10:05.000Z', host: 'lb1', backend: b, server: s, status: 'DOWN', up: false, previous_status: 'UP', changed: true, check_status: 'L4CON', econ_delta: 3, eresp_delta: 0 } : undefined),
    });
    store.queryAnswer = [{ status: 503, termination_state: 'SC--', requests: 40, conn_failures: 40 }];
    const recovering = alertEvent({ alert_id: 'r1' });
    await d.dispatch(recovering);
    await d.idle();
    const hookCall = rx.received.find((r) => r.path.startsWith('/hooks/'));
    assert.ok(hookCall);
    const ts = String(hookCall.headers['x-breakwater-timestamp']);
    assert.equal(hookCall.headers['x-breakwater-signature'], `sha256=${createHmac('sha256', secretKey).update(`${ts}.${hookCall.body}`).digest('hex')}`);
    const body = JSON.parse(hookCall.body);
    assert.equal(body.alert.alert_id, 'r1');
    assert.equal(body.target.label, 'app/web1');
    const breakdown = store.runs('diagnostic', 'status_breakdown')[0];
    assert.match(breakdown.output, /503\tSC--\t40\t40/);
    const breakdownQuery = store.queries.find((q) => q.params && 'backend' in q.params);
    assert.deepEqual(breakdownQuery?.params && Object.keys(breakdownQuery.params).sort(), ['backend', 'server', 'since']);
    assert.match(store.runs('diagnostic', 'probe_server')[0].output, /no address known/);

    const resolved = alertEvent({ alert_id: 'r1', state: 'resolved', resolved_at: '2026-11-21T00:12:00.000Z' });
    await d.dispatch(resolved);
    assert.equal(typeof resolved.time_to_recover_ms, 'number', 'set before dispatch returns');
    await d.idle();
    const verify = store.runs('verify');
    assert.equal(verify.length, 1);
    assert.equal(verify[0].status, 'ok');
    assert.match(verify[0].output, /recovered \d+ ms after the first repair/);

    await d.dispatch(alertEvent({ alert_id: 'r2', server: 'web2' }));
    await d.idle();
    await new Promise((r) => setTimeout(r, 600));
    await d.idle();
    const failedVerify = store.runs('verify').find((r) => r.alert_id === 'r2');
    assert.equal(failedVerify?.status, 'failed');
    assert.match(failedVerify?.reason ?? '', /not recovered within 0.3 s/);
    const am = rx.received.filter((r) => r.path.startsWith('/am/')).map((r) => JSON.parse(r.body));
    const escalation = am.find((p) => p.alerts[0].annotations.escalation);
    assert.ok(escalation, 'escalated through the webhook');
    assert.equal(escalation.commonLabels.server, 'web2');
    assert.equal(escalation.alerts[0].annotations.server_status, 'DOWN (check L4CON) at 2026-11-21T00:10:05.000Z');
    assert.match(escalation.alerts[0].annotations.repairs_tried, /remote: ok/);
    assert.equal(am.filter((p) => p.status === 'resolved').length, 1);
    await d.close();
    const stored = JSON.stringify(store.hookRuns);
    for (const secret of ['SECRETPATH123', 'AMSECRET456', secretKey]) assert.ok(!stored.includes(secret), `${secret} not in hook_runs`);
    assert.match(stored, /\[redacted\]/, 'the receiver echoed the URL path back; it was redacted');
  } finally {
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a firing alert re-reported by the detector is notified once; resolved once more', async () => {
  const published: string[] = [];
  const bus = { publish: async (_t: string, m: { value: string | Buffer }[]) => void published.push(...m.map((x) => String(x.value))) } as unknown as Bus;
  const d = new RepairDispatcher({ pipeline: pipeline({ hooks: { diagnostics: noDiagnostics }, notify: { bus: true } }), baseDir: '.', store: new RecordingStore(), bus });
  await d.dispatch(alertEvent({ alert_id: 'once', evaluations: 1 }));
  await d.dispatch(alertEvent({ alert_id: 'once', evaluations: 2 }));
  await d.dispatch(alertEvent({ alert_id: 'once', state: 'resolved' }));
  await d.close();
  assert.deepEqual(published.map((v) => JSON.parse(v).state), ['firing', 'resolved']);
  assert.equal(JSON.parse(published[0]).pipeline, 'test');
});

test('delay_s runs a hook only if the alert still fires; a cooldown skip keeps the earlier outcome for run_if', async () => {
  const dir = tempDir();
  try {
    const closed = await freePort();
    const store = new RecordingStore();
    const d = new RepairDispatcher({
      pipeline: pipeline({
        haproxy: { runtime_socket: join(dir, 'none.sock'), backends: { app: { servers: { web1: { ip: '127.0.0.1', port: closed }, web2: { ip: '127.0.0.1', port: closed } } } } },
        hooks: {
          dry_run: false,
          diagnostics: noDiagnostics,
          repair: [
            { name: 'probe', type: 'probe_backend', timeout_ms: 500, cooldown_s: 600 },
            { name: 'restart', type: 'exec', argv: ['true'], run_if: 'previous_failed', run_if_of: 'probe', min_evaluations: 2 },
            { name: 'last_resort', type: 'exec', argv: ['true'], delay_s: 0.3 },
          ],
        },
      }),
      baseDir: dir,
      store,
      bus: null,
    });
    const started = Date.now();
    await d.dispatch(alertEvent({ alert_id: 'd1', evaluations: 1 }));
    await d.idle();
    assert.ok(Date.now() - started >= 290, 'the chain waited for delay_s');
    assert.deepEqual(store.runs('repair').map((r) => [r.hook, r.status]), [['probe', 'failed'], ['restart', 'skipped'], ['last_resort', 'ok']]);

    store.hookRuns = [];
    await d.dispatch(alertEvent({ alert_id: 'd1', evaluations: 2 }));
    await d.idle();
    const rows = store.runs('repair').map((r) => [r.hook, r.status]);
    assert.deepEqual(rows, [['probe', 'skipped'], ['restart', 'ok'], ['last_resort', 'skipped']]);

    store.hookRuns = [];
    const t0 = Date.now();
    await d.dispatch(alertEvent({ alert_id: 'd2', server: 'web2' }));
    await new Promise((r) => setTimeout(r, 50));
    await d.dispatch(alertEvent({ alert_id: 'd2', server: 'web2', state: 'resolved', resolved_at: '2026-11-21T00:11:00.000Z' }));
    await d.close();
    assert.ok(Date.now() - t0 < 280, 'the resolve woke the waiting chain');
    const late = store.runs('repair', 'last_resort');
    assert.equal(late.length, 1);
    assert.equal(late[0].status, 'skipped');
    assert.match(late[0].reason ?? '', /resolved within delay_s/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
