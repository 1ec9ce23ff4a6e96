/**
 * Repair hooks and the runtime API against a real HAProxy (Debian package): the lab's HAProxy
 * with an admin UNIX socket, a second one with a TCP stats socket, backend servers in child
 * processes, the embedded store (chdb) and a local webhook receiver checking payloads and
 * HMAC signatures.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HaproxyLab, freePort, startHaproxyLab } from '../../support/haproxy-lab.js';
import { haproxyBinary } from '../../support/services.js';
import { openStore } from '../../../src/store/open.js';
import type { SqlStore } from '../../../src/store/sql-store.js';
import { MemoryBus } from '../../../src/bus/memory.js';
import { TOPICS, type BusRecord } from '../../../src/bus/bus.js';
import { parseRuntimeAddress, runtimeCommand, setServerState } from '../../../src/stats/runtime-api.js';
import { parseStatCsv } from '../../../src/stats/csv.js';
import { StatsPoller, type HealthSignal } from '../../../src/stats/poller.js';
import { runtimeServerAddress } from '../../../src/repair/target.js';
import { RepairDispatcher } from '../../../src/repair/dispatcher.js';
import { PipelineSchema } from '../../../src/config/pipeline.js';
import { alertEvent } from '../../unit/repair/fixtures.js';
import { webhookReceiver } from '../../unit/notify/receiver.js';

const PIPELINES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../pipelines');

let lab: HaproxyLab;
let store: SqlStore;
let dataDir: string;

before(async () => {
  lab = await startHaproxyLab({ servers: 2, checkInterMs: 300 });
  dataDir = mkdtempSync(join(tmpdir(), 'bw-repair-store-'));
  store = await openStore({ dataDir, env: {} });
});

after(async () => {
  await store?.close();
  await lab?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function serverStatus(socket: string, backend: string, server: string): Promise<string> {
  const rows = parseStatCsv(await runtimeCommand(parseRuntimeAddress(socket), 'show stat', { timeoutMs: 2000 }));
  return rows.find((r) => r.pxname === backend && r.svname === server)?.status ?? 'absent';
}

async function waitForStatus(backend: string, server: string, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await serverStatus(lab.socketPath, backend, server);
    if (pattern.test(s)) return s;
    if (Date.now() > deadline) throw new Error(`${backend}/${server} stayed ${s}, wanted ${pattern}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('runtime API over the UNIX socket and over TCP: show stat, show servers state, set server state', async () => {
  assert.equal(await waitForStatus('be_app', 'app1', /^UP/), 'UP');
  const addr = await runtimeServerAddress({ ...PipelineSchema.parse({ name: 'x' }).haproxy, runtime_socket: lab.socketPath }, 'be_app', 'app2');
  assert.deepEqual(addr, { ip: '127.0.0.1', port: lab.servers[1].port });

  await setServerState(parseRuntimeAddress(lab.socketPath), 'be_app', 'app2', 'drain', 2000);
  assert.equal(await waitForStatus('be_app', 'app2', /^DRAIN/), 'DRAIN');
  await setServerState(parseRuntimeAddress(lab.socketPath), 'be_app', 'app2', 'ready', 2000);
  assert.equal(await waitForStatus('be_app', 'app2', /^UP/), 'UP');
  await assert.rejects(setServerState(parseRuntimeAddress(lab.socketPath), 'be_app', 'nosuch', 'maint', 2000), /haproxy refused: No such server/);

  // A second HAProxy whose runtime API listens on TCP.
  const dir = mkdtempSync(join(tmpdir(), 'bw-tcp-api-'));
  const apiPort = await freePort();
  const fePort = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, [
    'global', `    stats socket ipv4@127.0.0.1:${apiPort} level admin`,
    'defaults', '    mode http', '    timeout connect 1s', '    timeout client 5s', '    timeout server 5s',
    'frontend fe', `    bind 127.0.0.1:${fePort}`, '    default_backend be_tcp',
    'backend be_tcp', `    server s1 127.0.0.1:${lab.servers[0].port}`, '',
  ].join('\n'));
  const hp: ChildProcess = spawn(haproxyBinary(), ['-f', cfg, '-db'], { stdio: 'ignore' });
  try {
    const tcp = parseRuntimeAddress(`tcp://127.0.0.1:${apiPort}`);
    let text = '';
    for (let i = 0; i < 50 && !text; i++) {
      text = await runtimeCommand(tcp, 'show stat', { timeoutMs: 1000 }).catch(() => '');
      if (!text) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(parseStatCsv(text).some((r) => r.pxname === 'be_tcp' && r.svname === 's1'));
    assert.match(await runtimeCommand(tcp, 'show servers state be_tcp', { timeoutMs: 1000 }), /be_tcp \d+ s1 127\.0\.0\.1/);
  } finally {
    hp.kill('SIGTERM');
    await once(hp, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('poller: a killed server turns DOWN in server_status, on haproxy.stats and as a health signal', async () => {
  const bus = new MemoryBus();
  const published: BusRecord[] = [];
  const sub = await bus.consume({ groupId: 'test-stats', topics: [TOPICS.stats, TOPICS.events], fromBeginning: true, onBatch: async (b) => void published.push(...b) });
  const signals: HealthSignal[] = [];
  const poller = new StatsPoller({
    stats: PipelineSchema.parse({ name: 'x', stats: { enabled: true, interval_ms: 200, host: 'lab-lb1' } }).stats,
    haproxy: PipelineSchema.parse({ name: 'x', haproxy: { runtime_socket: lab.socketPath } }).haproxy,
    bus,
    store,
    onSignals: (s) => void signals.push(...s),
  });
  try {
    poller.start();
    await lab.killServer(1);
    const deadline = Date.now() + 10_000;
    while (!signals.some((s) => s.server === 'app2' && !s.up && s.changed) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const down = signals.find((s) => s.server === 'app2' && !s.up && s.changed);
    assert.ok(down, 'DOWN signal for app2');
    assert.equal(down.previous_status, 'UP');
    assert.match(down.check_status ?? '', /L4CON|L7|SOCKERR|L4TOUT/);
    await poller.stop();
    await store.flush();
    const rows = await store.query<{ n: string | number }>(
      "SELECT count() AS n FROM server_status FINAL WHERE backend = {b:String} AND server = {s:String} AND status = 'DOWN'",
      { b: 'be_app', s: 'app2' },
    );
    assert.ok(Number(rows[0].n) >= 1, 'DOWN stored');
    assert.ok(published.some((r) => r.topic === TOPICS.stats && r.key === 'lab-lb1|be_app|app2' && JSON.parse(r.value.toString()).status === 'DOWN'));
    const health = published.filter((r) => r.topic === TOPICS.events).map((r) => JSON.parse(r.value.toString()));
    assert.ok(health.some((e) => e.kind === 'health' && e.server === 'app2' && e.health.state === 'DOWN'), 'DOWN published as a health event for the detector');
  } finally {
    await poller.stop();
    await sub.stop();
    await bus.close();
    await lab.restartServer(1);
  }
});

test('firing alert on a dead server: diagnostics, probe, the pipelines/hooks script restarts it, recovery verified, signed webhooks', async () => {
  const key = 'integration-hmac-key';
  const rx = await webhookReceiver(() => ({ status: 200 }));
  const env = { ...process.env, BW_IT_AM_URL: `${rx.url}/am`, BW_IT_HOOK_URL: `${rx.url}/hook`, BW_IT_HOOK_KEY: key };
  const bus = new MemoryBus();
  const alerts: BusRecord[] = [];
  const sub = await bus.consume({ groupId: 'test-alerts', topics: [TOPICS.alerts], fromBeginning: true, onBatch: async (b) => void alerts.push(...b) });
  const pipeline = PipelineSchema.parse({
    name: 'it-conn-failures',
    haproxy: {
      binary: haproxyBinary(),
      config_file: lab.configPath,
      log_file: lab.logFile,
      runtime_socket: lab.socketPath,
      // No ip/port: the target's address comes from the runtime API (show servers state).
      backends: { be_app: { service: 'app.service', servers: { app1: { health_url: `http://127.0.0.1:${lab.servers[0].port}/health` } } } },
    },
    hooks: {
      dry_run: false,
      diagnostics: { timeout_ms: 5000, store_breakdown_minutes: 15 },
      repair: [
        { name: 'probe_backend', type: 'probe_backend', timeout_ms: 2000 },
        { name: 'restart_backend', type: 'exec', argv: ['hooks/restart-backend.sh', ...lab.restartArgv()], env: { RECOVER_TIMEOUT_S: '20', PROBE_TIMEOUT_S: '2' }, run_if: 'previous_failed', run_if_of: 'probe_backend', timeout_ms: 40_000 },
        { name: 'tell_cmdb', type: 'http', url_env: 'BW_IT_HOOK_URL', hmac_secret_env: 'BW_IT_HOOK_KEY' },
        { name: 'undrain', type: 'haproxy_runtime', action: 'ready', on: ['resolved'] },
      ],
      verify: { deadline_s: 120 },
    },
    notify: { bus: true, webhooks: [{ name: 'am', url_env: 'BW_IT_AM_URL' }] },
  });
  const d = new RepairDispatcher({ pipeline, baseDir: PIPELINES, store, bus, env });
  try {
    await lab.killServer(0);
    await waitForStatus('be_app', 'app1', /^DOWN/);
    const firing = alertEvent({ alert_id: `it-${Date.now()}`, host: lab.hostname, backend: 'be_app', server: 'app1' });
    await d.dispatch(firing);
    await d.idle();
    assert.equal(lab.serverRunning(0), true, 'the hook restarted the server');
    await waitForStatus('be_app', 'app1', /^UP/);
    const resolved = { ...firing, state: 'resolved' as const, resolved_at: new Date().toISOString(), at: new Date().toISOString() };
    await d.dispatch(resolved);
    assert.ok(typeof resolved.time_to_recover_ms === 'number' && resolved.time_to_recover_ms > 0);
    await d.close();
    await store.flush();

    const runs = await store.query<{ phase: string; hook: string; status: string; output: string; reason: string | null }>(
      'SELECT phase, hook, status, output, reason FROM hook_runs FINAL WHERE alert_id = {id:String} ORDER BY started_at',
      { id: firing.alert_id },
    );
    const by = (hook: string) => runs.find((r) => r.hook === hook);
    assert.equal(by('haproxy_config_check')?.status, 'ok', by('haproxy_config_check')?.output);
    assert.match(by('haproxy_config_check')?.output ?? '', /Configuration file is valid/);
    assert.match(by('runtime_show_stat')?.output ?? '', /svname=app1 status=DOWN/);
    assert.match(by('runtime_servers_state')?.output ?? '', /be_app \d+ app1 127\.0\.0\.1/);
    assert.equal(by('probe_server')?.status, 'failed');
    assert.match(by('probe_server')?.output ?? '', new RegExp(`127\\.0\\.0\\.1:${lab.servers[0].port}: connect ECONNREFUSED`));
    assert.equal(by('recent_log_lines')?.status, 'ok');
    assert.match(by('recent_log_lines')?.output ?? '', /be_app\/app1/);
    assert.equal(by('status_breakdown')?.status, 'ok');
    assert.equal(by('probe_backend')?.status, 'failed');
    assert.equal(by('restart_backend')?.status, 'ok', by('restart_backend')?.output);
    assert.match(by('restart_backend')?.output ?? '', /answers again/);
    assert.equal(by('tell_cmdb')?.status, 'ok');
    assert.equal(by('undrain')?.status, 'ok');
    assert.equal(runs.find((r) => r.phase === 'verify')?.status, 'ok');

    const hook = rx.received.find((r) => r.path === '/hook');
    assert.ok(hook);
    const ts = String(hook.headers['x-breakwater-timestamp']);
    assert.equal(hook.headers['x-breakwater-signature'], `sha256=${createHmac('sha256', key).update(`${ts}.${hook.body}`).digest('hex')}`);
    assert.equal(JSON.parse(hook.body).target.port, lab.servers[0].port, 'address from the runtime API');
    const am = rx.received.filter((r) => r.path === '/am').map((r) => JSON.parse(r.body));
    assert.deepEqual(am.map((p) => p.status), ['firing', 'resolved']);
    assert.equal(am[1].alerts[0].labels.server, 'app1');
    assert.ok(Number(am[1].alerts[0].annotations.time_to_recover_ms) > 0);
    assert.deepEqual(alerts.map((r) => JSON.parse(r.value.toString()).state), ['firing', 'resolved']);
  } finally {
    await d.close();
    await sub.stop();
    await bus.close();
    await rx.close();
    if (!lab.serverRunning(0)) await lab.restartServer(0);
  }
});
