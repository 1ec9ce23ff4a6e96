import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from '../../../src/repair/process.js';
import { freePort } from '../../support/haproxy-lab.js';

const HOOKS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../pipelines/hooks');
const PATH = process.env.PATH ?? '/usr/bin:/bin';

function run(script: string, args: string[], env: Record<string, string>) {
  return runProcess([join(HOOKS, script), ...args], { env: { PATH, ...env }, timeoutMs: 20_000, outputCapBytes: 8192 });
}

test('restart-backend.sh: hostile env values are data; a healthy backend is not restarted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-script-'));
  const srv = createServer((_q, s) => s.end('ok')).listen(0, '127.0.0.1');
  await once(srv, 'listening');
  try {
    const sentinel = join(dir, 'pwned');
    const hostile = { BACKEND_NAME: `$(touch ${sentinel})`, BACKEND_SERVER_NAME: `\`touch ${sentinel}\``, ALERT_ID: `x; touch ${sentinel}` };
    const bad = await run('restart-backend.sh', [], { ...hostile, BACKEND_SERVER_URL: `http://127.0.0.1:1/$(touch ${sentinel})`, BACKEND_SERVICE_NAME: `app;touch ${sentinel}`, PROBE_TIMEOUT_S: '1' });
    assert.equal(bad.exitCode, 2, bad.output);
    assert.match(bad.output, /not a unit name/);
    const notUrl = await run('restart-backend.sh', [], { ...hostile, BACKEND_SERVER_URL: `file:///etc/passwd` });
    assert.equal(notUrl.exitCode, 2);
    const port = (srv.address() as { port: number }).port;
    const healthy = await run('restart-backend.sh', ['touch', join(dir, 'restarted')], { ...hostile, BACKEND_SERVER_URL: `http://127.0.0.1:${port}/health` });
    assert.equal(healthy.exitCode, 0, healthy.output);
    assert.match(healthy.output, /answers: nothing to restart/);
    assert.equal(existsSync(join(dir, 'restarted')), false);
    assert.equal(existsSync(sentinel), false, 'nothing hostile ran');
  } finally {
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restart-backend.sh: restarts with the configured argv, then fails when the server never answers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-script-'));
  try {
    const port = await freePort();
    const marker = join(dir, 'restarted');
    const r = await run('restart-backend.sh', ['touch', marker], { BACKEND_SERVER_URL: `http://127.0.0.1:${port}/`, PROBE_TIMEOUT_S: '1', RECOVER_TIMEOUT_S: '2' });
    assert.equal(existsSync(marker), true, 'the restart command ran');
    assert.equal(r.exitCode, 1, r.output);
    assert.match(r.output, /still does not answer 2s after the restart/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restart-haproxy.sh: never reloads an invalid configuration', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-script-'));
  try {
    const fakeHaproxy = join(dir, 'haproxy');
    writeFileSync(fakeHaproxy, '#!/bin/sh\necho "[ALERT] config: parsing error"\nexit 1\n', { mode: 0o755 });
    const r = await run('restart-haproxy.sh', ['reload'], { HAPROXY_BIN: fakeHaproxy, HAPROXY_CONFIG: '/nonexistent.cfg' });
    assert.equal(r.exitCode, 2);
    assert.match(r.output, /configuration is invalid: refusing to reload haproxy/);
    const wrong = await run('restart-haproxy.sh', ['stop'], { HAPROXY_BIN: fakeHaproxy });
    assert.equal(wrong.exitCode, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
