import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Guardrails, evaluationsReason, hookApplies, killSwitchReason } from '../../../src/repair/guardrails.js';
import { alertEvent } from './fixtures.js';

test('guardrails: cooldown per hook and target', () => {
  let now = 0;
  const g = new Guardrails(10, () => now);
  const limits = { cooldownS: 60, maxRunsPerHour: 100, maxConcurrent: 5 };
  const a = g.admit('restart', 'app/web1', limits);
  assert.ok(a.admitted);
  a.release();
  const again = g.admit('restart', 'app/web1', limits);
  assert.ok(!again.admitted && /cooldown/.test(again.reason));
  assert.ok(g.admit('restart', 'app/web2', limits).admitted, 'other target');
  assert.ok(g.admit('probe', 'app/web1', limits).admitted, 'other hook');
  now = 61_000;
  assert.ok(g.admit('restart', 'app/web1', limits).admitted);
});

test('guardrails: circuit breaker per rolling hour, all targets together', () => {
  let now = 0;
  const g = new Guardrails(10, () => now);
  const limits = { cooldownS: 0, maxRunsPerHour: 3, maxConcurrent: 10 };
  for (let i = 0; i < 3; i++) {
    const a = g.admit('restart', `app/web${i}`, limits);
    assert.ok(a.admitted);
    a.release();
  }
  const blocked = g.admit('restart', 'app/web9', limits);
  assert.ok(!blocked.admitted && /circuit open/.test(blocked.reason));
  now = 3_600_001;
  assert.ok(g.admit('restart', 'app/web9', limits).admitted, 'closes after an hour');
});

test('guardrails: concurrency per hook and overall; release frees the slot once', () => {
  const g = new Guardrails(2, () => 0);
  const limits = { cooldownS: 0, maxRunsPerHour: 100, maxConcurrent: 1 };
  const a = g.admit('restart', 't1', limits);
  assert.ok(a.admitted);
  const b = g.admit('restart', 't2', limits);
  assert.ok(!b.admitted && /max concurrent runs of restart/.test(b.reason));
  const c = g.admit('probe', 't1', limits);
  assert.ok(c.admitted);
  const d = g.admit('drain', 't1', limits);
  assert.ok(!d.admitted && /max concurrent hook runs/.test(d.reason));
  a.release();
  a.release();
  assert.ok(g.admit('restart', 't3', limits).admitted);
  assert.ok(!g.admit('other', 't3', limits).admitted, 'double release did not free a second slot');
});

test('kill switch (env var or file), states, rules and evaluations', () => {
  assert.equal(killSwitchReason('BW_KILL', undefined, {}), null);
  assert.match(killSwitchReason('BW_KILL', undefined, { BW_KILL: '1' }) ?? '', /kill switch/);
  assert.match(killSwitchReason('BW_KILL', undefined, { BW_KILL: 'true' }) ?? '', /kill switch/);
  assert.equal(killSwitchReason('BW_KILL', undefined, { BW_KILL: '0' }), null);
  const dir = mkdtempSync(join(tmpdir(), 'bw-kill-'));
  try {
    const f = join(dir, 'off');
    assert.equal(killSwitchReason('BW_KILL', f, {}), null);
    writeFileSync(f, '');
    assert.match(killSwitchReason('BW_KILL', f, {}) ?? '', /exists/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const firing = alertEvent({ evaluations: 2 });
  assert.equal(hookApplies({ on: ['firing'], rules: [] }, firing), true);
  assert.equal(hookApplies({ on: ['resolved'], rules: [] }, firing), false);
  assert.equal(hookApplies({ on: ['firing'], rules: ['server_down'] }, firing), false);
  assert.equal(evaluationsReason(2, firing), null);
  assert.match(evaluationsReason(3, firing) ?? '', /held 2/);
  assert.equal(evaluationsReason(1, alertEvent({ evaluations: undefined })), null);
});
