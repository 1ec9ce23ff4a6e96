// Guardrails survive a restart: runs admitted before the process started (hook_runs) count
// against cooldowns and circuit breakers of a new dispatcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Guardrails } from '../../../src/repair/guardrails.js';
import { guardrailWindowMs, loadPastRuns } from '../../../src/repair/history.js';
import { RepairDispatcher } from '../../../src/repair/dispatcher.js';
import type { HookRunRow, QueryParams } from '../../../src/store/store.js';
import { RecordingStore, alertEvent, pipeline } from './fixtures.js';

const limits = { cooldownS: 600, maxRunsPerHour: 3, maxConcurrent: 5 };

test('Guardrails.remember: an earlier run holds its cooldown and its place in the hourly breaker', () => {
  const now = 10 * 3_600_000;
  const g = new Guardrails(10, () => now);
  g.remember('restart', 'app/web1', now - 60_000);
  const cooled = g.admit('restart', 'app/web1', limits);
  assert.ok(!cooled.admitted);
  assert.equal(cooled.reason, 'cooldown: ran for this target 60 s ago (cooldown 600 s)');
  assert.ok(g.admit('restart', 'app/web2', limits).admitted, 'another target: only the breaker counts it');

  g.remember('restart', 'app/web3', now - 30 * 60_000);
  const open = g.admit('restart', 'app/web4', limits);
  assert.ok(!open.admitted);
  assert.equal(open.reason, 'circuit open: 3 runs in the last hour (max 3)');

  const long = new Guardrails(10, () => now);
  long.remember('restart', 'app/web1', now - 2 * 3_600_000);
  const day = long.admit('restart', 'app/web1', { ...limits, cooldownS: 86_400 });
  assert.ok(!day.admitted && /cooldown: ran for this target 7200 s ago/.test(day.reason), 'a cooldown longer than the hour');
  const other = long.admit('restart', 'app/web2', { ...limits, maxRunsPerHour: 1 });
  assert.ok(other.admitted, 'two hours ago is outside the breaker window');
});

test('guardrailWindowMs: the hourly breaker or the longest cooldown', () => {
  const base = pipeline({}).hooks;
  assert.equal(guardrailWindowMs(base), 3_600_000);
  const long = pipeline({ hooks: { repair: [{ name: 'a', type: 'exec', argv: ['true'], cooldown_s: 7200 }] } }).hooks;
  assert.equal(guardrailWindowMs(long), 7_200_000);
});

/** A store answering the two history queries from a list of hook_runs-like rows. */
class HistoryStore extends RecordingStore {
  constructor(
    private readonly past: Array<{ run_id: string; phase: string; hook: string; target: string; started_text: string; run_alert: string }>,
    private readonly alertHosts: Record<string, string> = {},
    private readonly failing = false,
  ) {
    super();
  }
  override async query<T>(sql: string, params?: QueryParams): Promise<T[]> {
    this.queries.push({ sql, params });
    if (this.failing) throw new Error('store unreachable');
    if (/FROM hook_runs\s+WHERE/.test(sql) && /run_alert/.test(sql)) return this.past as T[];
    if (/alert_host/.test(sql)) return Object.entries(this.alertHosts).map(([alert_id, alert_host]) => ({ alert_id, alert_host })) as T[];
    return [];
  }
}

/** toString(started_at) of a time `ms` ago, as ClickHouse prints it (UTC). */
const ago = (ms: number) => new Date(Date.now() - ms).toISOString().replace('T', ' ').replace('Z', '');

test('loadPastRuns: bound since, times parsed as UTC, a run_id counted once, hosts from the alerts', async () => {
  const at = ago(60_000);
  const store = new HistoryStore(
    [
      { run_id: 'r1', phase: 'repair', hook: 'restart', target: 'app/web1', started_text: at, run_alert: 'a1' },
      { run_id: 'r1', phase: 'repair', hook: 'restart', target: 'app/web1', started_text: at, run_alert: 'a1' },
      { run_id: 'r2', phase: 'diagnostic', hook: 'probe_server', target: 'app/web2', started_text: at.slice(0, 19), run_alert: '' },
    ],
    { a1: 'lb1' },
  );
  const since = Date.now() - 3_600_000;
  const runs = await loadPastRuns(store, since);
  assert.deepEqual(runs, [
    { phase: 'repair', hook: 'restart', target: 'app/web1', host: 'lb1', at: Date.parse(`${at.replace(' ', 'T')}Z`) },
    { phase: 'diagnostic', hook: 'probe_server', target: 'app/web2', host: null, at: Date.parse(`${at.slice(0, 19).replace(' ', 'T')}Z`) },
  ]);
  assert.deepEqual(store.queries.map((q) => q.params), [{ since: Math.floor(since / 1000) }, { since: Math.floor(since / 1000) }]);
  assert.ok(store.queries.every((q) => !q.sql.includes(String(Math.floor(since / 1000)))), 'the time is bound, not spliced');
});

const restartPack = (over: Record<string, unknown> = {}) =>
  pipeline({
    hooks: { diagnostics: { enabled: true, haproxy_check: false, runtime_stats: false, log_lines: 0, store_breakdown_minutes: 0 }, repair: [{ name: 'restart', type: 'exec', argv: ['true'], max_runs_per_hour: 2 }] },
    notify: { bus: false },
    ...over,
  });

async function dispatchOnce<S extends RecordingStore>(store: S, p = restartPack(), alert = alertEvent()): Promise<S> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-history-'));
  try {
    const d = new RepairDispatcher({ pipeline: p, baseDir: dir, store, bus: null });
    await d.dispatch(alert);
    await d.close();
    return store;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a restarted dispatcher refuses a repair and a diagnostic still cooling down from before the restart', async () => {
  const store = await dispatchOnce(
    new HistoryStore([
      { run_id: 'r1', phase: 'repair', hook: 'restart', target: 'app/web1', started_text: ago(120_000), run_alert: 'old' },
      { run_id: 'r2', phase: 'diagnostic', hook: 'probe_server', target: 'app/web1', started_text: ago(120_000), run_alert: 'old' },
    ]),
  );
  const [repair] = store.runs('repair', 'restart');
  assert.equal(repair.status, 'skipped');
  assert.match(repair.reason ?? '', /^cooldown: ran for this target 12\d s ago \(cooldown 600 s\)$/);
  assert.equal(store.runs('diagnostic', 'probe_server')[0].status, 'skipped');
  assert.match(store.runs('diagnostic', 'probe_server')[0].reason ?? '', /^cooldown/);
});

test('a restarted dispatcher keeps the circuit open: runs on other targets in the last hour count', async () => {
  const store = await dispatchOnce(
    new HistoryStore([
      { run_id: 'r1', phase: 'repair', hook: 'restart', target: 'app/web2', started_text: ago(20 * 60_000), run_alert: 'x' },
      { run_id: 'r2', phase: 'repair', hook: 'restart', target: 'app/web3', started_text: ago(10 * 60_000), run_alert: 'y' },
    ]),
  );
  const [repair] = store.runs('repair', 'restart');
  assert.deepEqual([repair.status, repair.reason], ['skipped', 'circuit open: 2 runs in the last hour (max 2)']);
});

test('with haproxy.hosts, an earlier run cools down only the same server on the same host', async () => {
  const hosts = { haproxy: { hosts: { lb1: {}, lb2: {} } } };
  const past = [{ run_id: 'r1', phase: 'repair', hook: 'restart', target: 'app/web1', started_text: ago(60_000), run_alert: 'on-lb2' }];
  const otherHost = await dispatchOnce(new HistoryStore(past, { 'on-lb2': 'lb2' }), restartPack(hosts), alertEvent({ host: 'lb1' }));
  assert.equal(otherHost.runs('repair', 'restart')[0].status, 'dry_run', 'lb1/app/web1 never ran');
  const sameHost = await dispatchOnce(new HistoryStore(past, { 'on-lb2': 'lb2' }), restartPack(hosts), alertEvent({ host: 'lb2' }));
  assert.match(sameHost.runs('repair', 'restart')[0].reason ?? '', /^cooldown/);
});

test('past runs are read once, before the first decision; a store that cannot answer leaves the limits to this process', async () => {
  const failing = await dispatchOnce(new HistoryStore([], {}, true));
  assert.equal(failing.runs('repair', 'restart')[0].status, 'dry_run');

  const store = new HistoryStore([]);
  const dir = mkdtempSync(join(tmpdir(), 'bw-history-'));
  try {
    const d = new RepairDispatcher({ pipeline: restartPack(), baseDir: dir, store, bus: null });
    await Promise.all([d.dispatch(alertEvent()), d.dispatch(alertEvent({ server: 'web2' }))]);
    await d.close();
    assert.equal(store.queries.filter((q) => /run_alert/.test(q.sql)).length, 1);
    assert.deepEqual(store.runs('repair', 'restart').map((r) => r.status), ['dry_run', 'dry_run']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a repair that acts writes a start row before acting; a lone start row (the process died mid-run) holds the cooldown', async () => {
  const acting = pipeline({
    hooks: {
      dry_run: false,
      diagnostics: { enabled: false },
      repair: [
        { name: 'probe', type: 'probe_backend' },
        { name: 'restart', type: 'exec', argv: [process.execPath, '-e', ''], run_if: 'always' },
        { name: 'rehearse', type: 'exec', argv: [process.execPath, '-e', ''], dry_run: true },
      ],
    },
    notify: { bus: false },
  });
  const store = await dispatchOnce(new HistoryStore([]), acting);
  const rows = store.hookRuns.filter((r) => r.phase === 'start' || r.phase === 'repair');
  assert.deepEqual(rows.map((r) => [r.phase, r.hook, r.status]), [
    ['repair', 'probe', 'failed'],
    ['start', 'restart', 'started'],
    ['repair', 'restart', 'ok'],
    ['repair', 'rehearse', 'dry_run'],
  ], 'only the hook that acts: not the read-only probe, not a dry run');
  assert.equal(rows[1].run_id, rows[2].run_id, 'the outcome replaces the start row');
  assert.equal(rows[1].started_at, rows[2].started_at);

  const died = await dispatchOnce(
    new HistoryStore([{ run_id: 'r1', phase: 'start', hook: 'restart', target: 'app/web1', started_text: ago(30_000), run_alert: 'x' }]),
    acting,
  );
  assert.match(died.runs('repair', 'restart')[0].reason ?? '', /^cooldown: ran for this target 3\d s ago/);
});

/** A store that sees whether the hook had acted (its file exists) when each row arrived, or never stores start rows. */
class WitnessStore extends HistoryStore {
  actedBefore: Array<[string, boolean]> = [];
  constructor(
    private readonly sentinel: string,
    private readonly hangStartRows = false,
  ) {
    super([]);
  }
  override async insertHookRun(run: HookRunRow): Promise<void> {
    this.actedBefore.push([run.phase, existsSync(this.sentinel)]);
    if (run.phase === 'start' && this.hangStartRows) return new Promise(() => {});
    return super.insertHookRun(run);
  }
}

test('the start row is stored before the hook acts; a store that never stores it delays the repair 5 s, not forever', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-history-'));
  try {
    const sentinel = join(dir, 'acted');
    const touching = pipeline({
      hooks: { dry_run: false, diagnostics: { enabled: false }, repair: [{ name: 'restart', type: 'exec', argv: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(sentinel)}, '')`] }] },
      notify: { bus: false },
    });
    const store = await dispatchOnce(new WitnessStore(sentinel), touching);
    assert.deepEqual(store.actedBefore, [['start', false], ['repair', true]]);

    rmSync(sentinel);
    const started = Date.now();
    const hanging = await dispatchOnce(new WitnessStore(sentinel, true), touching);
    assert.equal(hanging.runs('repair', 'restart')[0].status, 'ok');
    assert.ok(Date.now() - started >= 4_900, 'waited for the start row');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
