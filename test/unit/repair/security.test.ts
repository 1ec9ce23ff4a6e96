import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { HookRunRow } from '../../../src/store/store.js';
import { Redactor } from '../../../src/repair/redact.js';
import { freePort } from '../../support/haproxy-lab.js';
import { webhookReceiver } from '../notify/receiver.js';

const SCENARIO = fileURLToPath(new URL('./secret-scenario.ts', import.meta.url));

test('secrets from env never appear in logs or hook_runs, whatever the receivers answer', async () => {
  const closed = await freePort();
  // The hook receiver echoes its URL, headers and body back: a worst case for leaks.
  const rx = await webhookReceiver((r) => ({ status: 500, body: JSON.stringify(r) }));
  try {
    const secrets = {
      BW_SECRET_HOOK_URL: `${rx.url}/hook/S3CR3T-HOOK-PATH`,
      BW_SECRET_KEY: 'S3CR3T-HMAC-KEY-42',
      BW_SECRET_AM_URL: `http://127.0.0.1:${closed}/am/S3CR3T-AM-PATH`,
      BW_SECRET_SLACK_URL: `${rx.url}/services/T0/B0/S3CR3T-SLACK-TOKEN`,
    };
    // Async: the receiver lives in this process's event loop.
    const child = await promisify(execFile)(process.execPath, ['--import', 'tsx', SCENARIO], {
      env: { ...process.env, ...secrets, LOG_LEVEL: 'debug' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const rows = JSON.parse(child.stdout) as HookRunRow[];
    assert.ok(rows.some((r) => r.hook === 'remote' && r.status === 'failed'), 'the hook receiver failed');
    assert.ok(rows.some((r) => r.hook === 'am' && r.status === 'failed'), 'the webhook was unreachable');
    const printenv = rows.find((r) => r.phase === 'repair' && r.hook === 'printenv');
    assert.equal(printenv?.status, 'ok');
    assert.match(printenv?.output ?? '', /BACKEND_NAME=app/);
    assert.ok(child.stderr.includes('hook repair remote failed'), 'the log was captured');
    for (const [name, value] of Object.entries(secrets)) {
      const token = value.split('/').at(-1) as string;
      for (const [where, text] of [['hook_runs', child.stdout], ['log', child.stderr]]) {
        assert.ok(!text.includes(token), `${name} leaked into ${where}`);
      }
    }
  } finally {
    await rx.close();
  }
});

test('redactor: whole values, URL paths and queries; short values are not treated as secrets', () => {
  const r = new Redactor(['A', 'B', 'C'], { A: 'https://hooks.example/services/XYZ?token=abc123', B: 'key-123456', C: 'x' });
  assert.equal(r.redact('url https://hooks.example/services/XYZ?token=abc123 key-123456 x'), 'url [redacted] [redacted] x');
  assert.equal(r.redact('POST /services/XYZ failed'), 'POST [redacted] failed');
});
