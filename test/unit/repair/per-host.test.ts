// Repair targets per load balancer: an alert is for (host, backend, server), and diagnostics and
// hooks act on that host's HAProxy (haproxy.hosts), never on another box's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxySchema, haproxyForHost } from '../../../src/config/haproxy.js';
import { RepairDispatcher } from '../../../src/repair/dispatcher.js';
import { RecordingStore, alertEvent, pipeline } from './fixtures.js';

const fleet = {
  runtime_socket: '/run/haproxy/admin.sock',
  env: { SSH_USER: 'ops' },
  backends: { app: { service: 'app.service', servers: { web1: { ip: '10.0.0.1', port: 80 }, web2: { ip: '10.0.0.2', port: 80 } } } },
  hosts: {
    lb1: { runtime_socket: 'tcp://10.1.0.1:9999', env: { SSH_HOST: 'lb1.example' } },
    lb2: {
      runtime_socket: '10.1.0.2:9999',
      config_file: '/etc/haproxy/lb2.cfg',
      env: { SSH_HOST: 'lb2.example', SSH_USER: 'root' },
      backends: { app: { servers: { web1: { ip: '10.2.0.1', port: 8080 } } } },
    },
  },
};

test('haproxyForHost: a listed host\'s settings over the top-level ones, backends merged per server', () => {
  const h = HaproxySchema.parse(fleet);
  const lb2 = haproxyForHost(h, 'lb2');
  assert.ok(lb2);
  assert.equal(lb2.runtime_socket, '10.1.0.2:9999');
  assert.equal(lb2.config_file, '/etc/haproxy/lb2.cfg');
  assert.equal(lb2.log_file, h.log_file, 'unset fields fall back to the top level');
  assert.deepEqual(lb2.backends.app, { service: 'app.service', servers: { web1: { ip: '10.2.0.1', port: 8080 }, web2: { ip: '10.0.0.2', port: 80 } } });
  assert.deepEqual(lb2.env, { SSH_USER: 'root', SSH_HOST: 'lb2.example' });
  assert.equal(haproxyForHost(h, 'lb1')?.runtime_socket, 'tcp://10.1.0.1:9999');
  assert.deepEqual(haproxyForHost(h, 'lb1')?.backends.app.servers.web1, { ip: '10.0.0.1', port: 80 });
  assert.equal(haproxyForHost(h, 'lb9'), null, 'unlisted host: nothing acts on it');
  assert.equal(haproxyForHost(h, null), null);
  assert.equal(haproxyForHost(h, 'constructor'), null, 'host names are keys, not object properties');
  assert.equal(haproxyForHost(HaproxySchema.parse({ ...fleet, unlisted_hosts: 'defaults' }), 'lb9')?.runtime_socket, '/run/haproxy/admin.sock');
  const single = HaproxySchema.parse({ runtime_socket: '/tmp/a.sock' });
  assert.equal(haproxyForHost(single, 'any-host'), single, 'no hosts: one HAProxy for every alert');
});

test('dispatcher: hooks get the alert host\'s HAProxy, target and env; cooldowns count per host; unlisted hosts are skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-per-host-'));
  try {
    const store = new RecordingStore();
    const d = new RepairDispatcher({
      pipeline: pipeline({
        haproxy: fleet,
        hooks: {
          dry_run: false,
          diagnostics: { probe: false, haproxy_check: false, runtime_stats: false, log_lines: 0, store_breakdown_minutes: 0 },
          repair: [
            {
              name: 'dump',
              type: 'exec',
              argv: [process.execPath, '-e', 'require("fs").writeFileSync(process.env.HOST + ".json", JSON.stringify(process.env))'],
              cooldown_s: 600,
              max_concurrent: 3,
            },
            { name: 'drain', type: 'haproxy_runtime', action: 'drain', dry_run: true, cooldown_s: 600 },
          ],
        },
        notify: { bus: false },
      }),
      baseDir: dir,
      store,
      bus: null,
    });
    const alerts = [alertEvent({ host: 'lb1' }), alertEvent({ host: 'lb2' }), alertEvent({ host: 'lb9' })];
    for (const a of alerts) await d.dispatch(a);
    await d.close();
    const byAlert = (hook: string) => alerts.map((a) => store.runs('repair', hook).find((r) => r.alert_id === a.alert_id)!);

    const env = (host: string) => JSON.parse(readFileSync(join(dir, `${host}.json`), 'utf8')) as Record<string, string>;
    assert.deepEqual(
      ['HAPROXY_SOCKET', 'HAPROXY_CONFIG', 'BACKEND_SERVER_IP', 'BACKEND_SERVER_PORT', 'SSH_HOST', 'SSH_USER'].map((k) => env('lb2')[k]),
      ['10.1.0.2:9999', '/etc/haproxy/lb2.cfg', '10.2.0.1', '8080', 'lb2.example', 'root'],
    );
    assert.deepEqual(
      ['HAPROXY_SOCKET', 'BACKEND_SERVER_IP', 'SSH_HOST', 'SSH_USER'].map((k) => env('lb1')[k]),
      ['tcp://10.1.0.1:9999', '10.0.0.1', 'lb1.example', 'ops'],
    );
    const drains = byAlert('drain');
    assert.deepEqual(drains.map((r) => r.status), ['dry_run', 'dry_run', 'skipped'], 'same backend/server on two hosts: two targets, no shared cooldown');
    assert.match(drains[0].output, /to tcp:\/\/10\.1\.0\.1:9999/);
    assert.match(drains[1].output, /to 10\.1\.0\.2:9999/);
    assert.match(drains[2].reason ?? '', /host lb9 is not in haproxy\.hosts/);
    assert.deepEqual(byAlert('dump').map((r) => r.status), ['ok', 'ok', 'skipped']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
