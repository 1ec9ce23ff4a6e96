import type { HooksConfig } from '../config/hooks.js';
import type { Store } from '../store/store.js';

/** A diagnostic or repair run a guardrail admitted before this process started (from hook_runs). */
export interface PastRun {
  /** A `start` row (a repair whose outcome was never written: the process died) counts as a repair. */
  phase: 'repair' | 'diagnostic';
  hook: string;
  /** "backend/server", as hook_runs.target holds it. */
  target: string;
  /** The host of the run's alert ('' or null when unknown). */
  host: string | null;
  /** Wall-clock ms the run started. */
  at: number;
}

/** More past runs than any sane set of limits admits; the newest are kept. */
export const MAX_PAST_RUNS = 50_000;
const HOUR_S = 3600;
const PHASES = new Set(['repair', 'diagnostic', 'start']);

// Every run a guardrail admitted has a row with a status other than skipped (dry runs included:
// they pass the guardrails too), and a repair that acts has a `start` row written before it
// acts, replaced by its outcome (same run_id) or left alone when the process died. Plain SQL
// that 18.16 runs: toString for times, IN instead of a join. Without FINAL, a run_id may come
// twice (start and outcome rows, or a retried insert): the caller counts it once.
const RUNS_SQL = `
SELECT run_id, phase, hook, target, toString(started_at) AS started_text, ifNull(alert_id, '') AS run_alert
FROM hook_runs
WHERE phase IN ('repair', 'diagnostic', 'start') AND status != 'skipped' AND started_at >= toDateTime({since:UInt32})
ORDER BY started_at DESC
LIMIT ${MAX_PAST_RUNS}`;

const HOSTS_SQL = `
SELECT alert_id, any(host) AS alert_host
FROM alerts
WHERE alert_id IN (SELECT assumeNotNull(alert_id) FROM hook_runs
                   WHERE phase IN ('repair', 'diagnostic', 'start') AND status != 'skipped'
                     AND started_at >= toDateTime({since:UInt32}) AND alert_id IS NOT NULL)
GROUP BY alert_id`;

/** The longest window any guardrail of these hooks looks back over (the hourly breaker or a cooldown), in ms. */
export function guardrailWindowMs(hooks: Pick<HooksConfig, 'repair' | 'diagnostics'>): number {
  return Math.max(HOUR_S, hooks.diagnostics.cooldown_s, ...hooks.repair.map((h) => h.cooldown_s)) * 1000;
}

/** "2026-11-21 00:10:00[.123]" (UTC, as toString gives it) → ms. */
const utcMs = (t: string) => Date.parse(`${t.replace(' ', 'T')}Z`);

/** The runs admitted since `sinceMs` (seconds resolution: whole seconds on 18.16), newest first. */
export async function loadPastRuns(store: Store, sinceMs: number): Promise<PastRun[]> {
  const since = Math.floor(sinceMs / 1000);
  const rows = await store.query<{ run_id: string; phase: string; hook: string; target: string; started_text: string; run_alert: string }>(RUNS_SQL, { since });
  if (rows.length === 0) return [];
  const hosts = new Map<string, string>();
  for (const r of await store.query<{ alert_id: string; alert_host: string }>(HOSTS_SQL, { since })) hosts.set(r.alert_id, r.alert_host);
  const seen = new Set<string>();
  const runs: PastRun[] = [];
  for (const r of rows) {
    const at = utcMs(String(r.started_text));
    if (!PHASES.has(r.phase) || Number.isNaN(at) || seen.has(r.run_id)) continue;
    seen.add(r.run_id);
    runs.push({ phase: r.phase === 'diagnostic' ? 'diagnostic' : 'repair', hook: r.hook, target: r.target, host: hosts.get(r.run_alert) || null, at });
  }
  return runs;
}
