// Recovery deadlines survive a restart of `breakwater run`: the incidents repaired before it and
// neither resolved nor verified are read back from the store (chdb and the 18.16 server), and the
// dispatcher escalates those whose deadline passed while it was down.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/store/open.js';
import type { SqlStore } from '../../../src/store/sql-store.js';
import type { HookRunRow } from '../../../src/store/store.js';
import { loadPendingRecoveries } from '../../../src/repair/pending.js';
import { RepairDispatcher } from '../../../src/repair/dispatcher.js';
import { alertEvent, pipeline } from '../../unit/repair/fixtures.js';
import { clickhouseUrl, uniqueName } from '../../support/services.js';
import { dropTestResources } from '../../support/cleanup.js';

const dir = mkdtempSync(join(tmpdir(), 'bw-pending-'));
const database = uniqueName('bw_pending');
let chUrl = '';
after(async () => {
  await dropTestResources({ clickhouseUrl: chUrl, database });
  rmSync(dir, { recursive: true, force: true });
});

// Whole seconds (18.16 keeps no milliseconds), from one instant per test run.
const NOW = Math.floor(Date.now() / 1000) * 1000;
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();

function run(alertId: string, over: Partial<HookRunRow>): HookRunRow {
  const at = over.started_at ?? minutesAgo(5);
  return {
    run_id: `${alertId}-${over.phase ?? 'repair'}-${over.hook ?? 'restart'}-${over.dry_run ? 'dry' : 'real'}`,
    alert_id: alertId, phase: 'repair', hook: 'restart', type: 'restart_service', target: 'app/web1',
    started_at: at, finished_at: at, duration_ms: 10, status: 'ok', exit_code: 0, reason: null, output: '', dry_run: false,
    ...over,
  };
}

async function scenario(store: SqlStore): Promise<void> {
  const firing = (id: string) => alertEvent({ alert_id: id, fired_at: minutesAgo(10), at: minutesAgo(10), first_seen: minutesAgo(11), last_seen: minutesAgo(10), host: 'lb1' });
  for (const id of ['repaired', 'dry', 'resolved', 'verified', 'skipped']) await store.insertAlert(firing(id));
  await store.insertAlert({ ...firing('resolved'), state: 'resolved', resolved_at: minutesAgo(2), at: minutesAgo(2) });
  await store.insertHookRun(run('repaired', { hook: 'probe', type: 'probe_backend', status: 'failed', started_at: minutesAgo(6) }));
  await store.insertHookRun(run('repaired', {}));
  await store.insertHookRun(run('dry', { status: 'dry_run', dry_run: true, started_at: minutesAgo(4) }));
  await store.insertHookRun(run('resolved', {}));
  await store.insertHookRun(run('verified', {}));
  await store.insertHookRun(run('verified', { phase: 'verify', hook: 'recovery', type: 'verify', status: 'failed' }));
  await store.insertHookRun(run('skipped', { status: 'skipped' }));
  await store.flush();

  const pending = await loadPendingRecoveries(store, Date.now() - 3600_000);
  const byId = Object.fromEntries(pending.map((p) => [p.alert.alert_id, p]));
  assert.deepEqual(Object.keys(byId).sort(), ['dry', 'repaired']);
  assert.equal(byId.repaired!.firstAttemptAt, Date.parse(minutesAgo(6)), 'the first attempt: the probe');
  assert.equal(byId.repaired!.firstRepairAt, Date.parse(minutesAgo(5)), 'the first real repair');
  assert.equal(byId.dry!.firstRepairAt, null, 'a dry run repaired nothing');
  assert.deepEqual([byId.repaired!.alert.host, byId.repaired!.alert.backend, byId.repaired!.alert.fired_at], ['lb1', 'app', minutesAgo(10)]);
  assert.deepEqual(await loadPendingRecoveries(store, Date.now() + 60_000), [], 'older than the look-back: left alone');

  // Deadline 60 s after the first attempt, 6 minutes ago: the restarted dispatcher escalates at once.
  const d = new RepairDispatcher({ pipeline: pipeline({ hooks: { verify: { deadline_s: 60 } }, notify: { bus: false } }), baseDir: dir, store, bus: null });
  d.restore(pending);
  await new Promise((r) => setTimeout(r, 100));
  await d.close();
  await store.flush();
  const verify = await store.query<{ alert_id: string; status: string; dry_run: number }>(
    "SELECT alert_id, status, dry_run FROM hook_runs WHERE phase = 'verify' AND alert_id IN ('repaired', 'dry') ORDER BY alert_id",
  );
  assert.deepEqual(verify.map((v) => [v.alert_id, v.status, Number(v.dry_run)]), [['dry', 'failed', 1], ['repaired', 'failed', 0]]);
  assert.deepEqual(await loadPendingRecoveries(store, Date.now() - 3600_000), [], 'verified now: not pending after the next restart');
}

test('pending recoveries on the embedded store (chdb)', async () => {
  const store = await openStore({ dataDir: dir, config: { database: 'pending' }, env: {} });
  try {
    await scenario(store);
  } finally {
    await store.close();
  }
});

test('pending recoveries on the ClickHouse server', async () => {
  chUrl = await clickhouseUrl();
  const store = await openStore({ config: { database }, env: { CLICKHOUSE_URL: chUrl } });
  try {
    await scenario(store);
  } finally {
    await store.close();
  }
});
