// Guardrails survive a restart: a dispatcher started on a store that holds recent hook runs
// (chdb and the 18.16 server) refuses a repair still cooling down, and keeps the breaker open.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/store/open.js';
import type { SqlStore } from '../../../src/store/sql-store.js';
import { loadPastRuns } from '../../../src/repair/history.js';
import { RepairDispatcher } from '../../../src/repair/dispatcher.js';
import type { AlertEvent } from '../../../src/detect/alert.js';
import { alertEvent, pipeline } from '../../unit/repair/fixtures.js';
import { clickhouseUrl, uniqueName } from '../../support/services.js';
import { dropTestResources } from '../../support/cleanup.js';

const dir = mkdtempSync(join(tmpdir(), 'bw-guard-history-'));
const database = uniqueName('bw_guard_history');
let chUrl = '';
after(async () => {
  await dropTestResources({ clickhouseUrl: chUrl, database });
  rmSync(dir, { recursive: true, force: true });
});

const pack = pipeline({
  hooks: {
    dry_run: false,
    diagnostics: { enabled: false },
    repair: [{ name: 'restart', type: 'exec', argv: [process.execPath, '-e', ''], cooldown_s: 600, max_runs_per_hour: 2 }],
  },
  notify: { bus: false },
});

/** One dispatcher's life: dispatch the alerts, wait for their hooks, stop; the rows it wrote, by alert. */
async function lifetime(store: SqlStore, alerts: AlertEvent[]): Promise<Map<string, { status: string; reason: string | null }>> {
  const d = new RepairDispatcher({ pipeline: pack, baseDir: dir, store, bus: null });
  for (const a of alerts) {
    await store.insertAlert(a);
    await d.dispatch(a);
    await d.idle();
  }
  await d.close();
  await store.flush();
  const ids = new Set(alerts.map((a) => a.alert_id));
  const rows = await store.query<{ run_alert: string; status: string; reason: string | null }>(
    "SELECT ifNull(alert_id, '') AS run_alert, status, reason FROM hook_runs WHERE phase = 'repair' AND hook = {hook:String}",
    { hook: 'restart' },
  );
  return new Map(rows.filter((r) => ids.has(r.run_alert)).map((r) => [r.run_alert, { status: r.status, reason: r.reason }]));
}

async function scenario(store: SqlStore): Promise<void> {
  const runId = uniqueName('g');
  const alert = (server: string, host = 'lb1') => alertEvent({ alert_id: `${runId}-${server}-${Math.random().toString(36).slice(2, 8)}`, server, host });
  const before = await lifetime(store, [alert('web1'), alert('web2')]);
  assert.deepEqual([...before.values()].map((r) => r.status), ['ok', 'ok'], 'the first process restarts two servers');

  // Each run wrote a start row before acting; its outcome (same run_id) replaces it.
  const final = await store.query<{ phase: string; status: string }>(
    "SELECT phase, status FROM hook_runs FINAL WHERE hook = 'restart' AND has({ids:Array(String)}, ifNull(alert_id, '')) ORDER BY phase",
    { ids: [...before.keys()] },
  );
  assert.deepEqual(final.map((r) => [r.phase, r.status]), [['repair', 'ok'], ['repair', 'ok']]);

  const past = await loadPastRuns(store, Date.now() - 3_600_000);
  assert.deepEqual(past.map((r) => [r.phase, r.hook, r.target, r.host]).sort(), [['repair', 'restart', 'app/web1', 'lb1'], ['repair', 'restart', 'app/web2', 'lb1']]);
  assert.ok(past.every((r) => Date.now() - r.at < 60_000 && Date.now() - r.at >= 0), 'started_at read back as UTC');

  // A new process: web1 is still cooling down, and two runs in the hour keep the breaker open for web3.
  const cooled = alert('web1');
  const third = alert('web3');
  const after = await lifetime(store, [cooled, third]);
  assert.equal(after.get(cooled.alert_id)?.status, 'skipped');
  assert.match(after.get(cooled.alert_id)?.reason ?? '', /^cooldown: ran for this target \d+ s ago \(cooldown 600 s\)$/);
  assert.deepEqual(after.get(third.alert_id), { status: 'skipped', reason: 'circuit open: 2 runs in the last hour (max 2)' });
}

/** A process died while its restart hook ran: only the start row is stored. */
async function diedMidRun(store: SqlStore): Promise<void> {
  const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 30_000).toISOString();
  const id = uniqueName('died');
  await store.insertHookRun({
    run_id: id, alert_id: id, phase: 'start', hook: 'restart', type: 'exec', target: 'app/web7', started_at: at, finished_at: at,
    duration_ms: 0, status: 'started', exit_code: null, reason: null, output: '', dry_run: false,
  });
  await store.flush();
  const next = alertEvent({ alert_id: `${id}-next`, server: 'web7' });
  const rows = await lifetime(store, [next]);
  assert.match(rows.get(next.alert_id)?.reason ?? '', /^cooldown: ran for this target 3\d s ago/);
}

test('guardrails across a restart on the embedded store (chdb)', async () => {
  const store = await openStore({ dataDir: dir, config: { database: 'guard_history' }, env: {} });
  try {
    await scenario(store);
    await diedMidRun(store);
  } finally {
    await store.close();
  }
});

test('guardrails across a restart on the ClickHouse server', async () => {
  chUrl = await clickhouseUrl();
  const store = await openStore({ config: { database }, env: { CLICKHOUSE_URL: chUrl } });
  try {
    await scenario(store);
    await diedMidRun(store);
  } finally {
    await store.close();
  }
});
