import type { AlertEvent } from '../detect/alert.js';
import type { Store } from '../store/store.js';
import type { Detector } from '../detect/detector.js';
import { log } from '../observe/log.js';

/** Incidents repaired this long before a restart at most get their recovery deadline back. */
export const PENDING_LOOKBACK_MS = 24 * 3600 * 1000;

/** A repaired incident that had not resolved (nor been escalated) when the process stopped. */
export interface PendingRecovery {
  alert: AlertEvent;
  /** Wall-clock ms of the first repair attempt, dry run included (the verify deadline counts from it). */
  firstAttemptAt: number;
  /** Wall-clock ms of the first repair that really ran, or null. */
  firstRepairAt: number | null;
}

// Plain SQL that 18.16 runs too: times through toUnixTimestamp / toString, no joins. Aliases never
// reuse a column name (ClickHouse would use the alias in WHERE).
const ATTEMPTS_SQL = `
SELECT alert_id, toUnixTimestamp(min(started_at)) AS first_attempt,
       toUnixTimestamp(minIf(started_at, dry_run = 0 AND type != 'probe_backend')) AS first_repair,
       countIf(dry_run = 0 AND type != 'probe_backend') AS real_repairs
FROM hook_runs
WHERE phase = 'repair' AND status != 'skipped' AND started_at >= toDateTime({since:UInt32})
  AND alert_id NOT IN (SELECT assumeNotNull(alert_id) FROM hook_runs WHERE phase = 'verify' AND alert_id IS NOT NULL)
GROUP BY alert_id`;

const OPEN_ALERTS_SQL = `
SELECT alert_id, rule, summary, host, backend, server, toString(fired_at) AS fired_at_text, toString(at) AS at_text,
       observed, baseline, threshold, observed_ratio, baseline_ratio, toString(requests) AS requests_text,
       toString(first_seen) AS first_seen_text, toString(last_seen) AS last_seen_text, samples
FROM alerts
WHERE state = 'firing' AND fired_at >= toDateTime({since:UInt32})
  AND alert_id NOT IN (SELECT alert_id FROM alerts WHERE state = 'resolved')
ORDER BY at`;

/** "2026-11-21 00:10:00.123" (UTC, as toString gives it) → ISO-8601. */
const iso = (t: string) => new Date(`${t.replace(' ', 'T')}Z`).toISOString();
const nullIfEmpty = (s: string) => (s === '' ? null : s);

/**
 * The incidents whose recovery a restarted dispatcher must keep watching: firing alerts (since
 * `sinceMs`) without a resolved event, with a repair attempt and no verify row yet.
 */
export async function loadPendingRecoveries(store: Store, sinceMs: number): Promise<PendingRecovery[]> {
  const since = Math.floor(sinceMs / 1000);
  const attempts = new Map<string, { first_attempt: string; first_repair: string; real_repairs: string }>();
  for (const r of await store.query<{ alert_id: string; first_attempt: string; first_repair: string; real_repairs: string }>(ATTEMPTS_SQL, { since })) {
    attempts.set(r.alert_id, r);
  }
  if (attempts.size === 0) return [];
  const latest = new Map<string, Record<string, unknown>>();
  for (const row of await store.query<Record<string, unknown>>(OPEN_ALERTS_SQL, { since })) {
    if (attempts.has(String(row.alert_id))) latest.set(String(row.alert_id), row);
  }
  return [...latest.values()].map((row) => {
    const a = attempts.get(String(row.alert_id))!;
    const alert: AlertEvent = {
      alert_id: String(row.alert_id),
      state: 'firing',
      rule: String(row.rule),
      summary: String(row.summary),
      host: nullIfEmpty(String(row.host)),
      backend: nullIfEmpty(String(row.backend)),
      server: nullIfEmpty(String(row.server)),
      fired_at: iso(String(row.fired_at_text)),
      resolved_at: null,
      at: iso(String(row.at_text)),
      observed: Number(row.observed),
      baseline: Number(row.baseline),
      threshold: Number(row.threshold),
      observed_ratio: Number(row.observed_ratio),
      baseline_ratio: Number(row.baseline_ratio),
      requests: Number(row.requests_text),
      first_seen: iso(String(row.first_seen_text)),
      last_seen: iso(String(row.last_seen_text)),
      samples: (row.samples as string[]) ?? [],
    };
    return {
      alert,
      firstAttemptAt: Number(a.first_attempt) * 1000,
      firstRepairAt: Number(a.real_repairs) > 0 ? Number(a.first_repair) * 1000 : null,
    };
  });
}

/** What a partition owner needs from the dispatcher to take over or hand over recovery deadlines. */
export interface RecoveryWatcher {
  restore(pending: PendingRecovery[]): void;
  /** Stops watching (without escalating) the recoveries of the alerts `owns` selects; returns how many. */
  release(owns: (alert: AlertEvent) => boolean): number;
}

/**
 * Whether an alert's series lives in a partition, decided by the detector restored for it: the
 * bus key (host|backend|server) puts each series in one partition, and that partition's saved
 * state holds the series from its first save on (an incident is repaired seconds after it fires,
 * long after the series was first seen).
 */
export function partitionHolds(detector: Pick<Detector, 'get' | 'keyOf'>): (alert: AlertEvent) => boolean {
  return (alert) => detector.get(detector.keyOf(alert)) !== undefined;
}

/**
 * Kafka mode: the recovery deadlines of an incident belong to the processor owning its series'
 * partition. On assignment the pending recoveries of the new partitions' series are restored (a
 * deadline that passed while nobody owned them escalates at once); on revocation they are
 * released, so the next owner alone escalates.
 */
export class PartitionRecoveries {
  constructor(private readonly opts: { store: Store; watcher: RecoveryWatcher; lookbackMs: number }) {}

  async assigned(detectors: Array<Pick<Detector, 'get' | 'keyOf'>>): Promise<number> {
    if (detectors.length === 0) return 0;
    const holds = detectors.map(partitionHolds);
    // Hook runs this process recorded before a rebalance handed the partition back must be visible.
    await this.opts.store.flush();
    const pending = await loadPendingRecoveries(this.opts.store, Date.now() - this.opts.lookbackMs);
    const mine = pending.filter((p) => holds.some((h) => h(p.alert)));
    this.opts.watcher.restore(mine);
    if (mine.length) log.info({ restored: mine.length, alerts: mine.map((p) => p.alert.alert_id) }, 'repair: recovery deadlines of the assigned partitions restored');
    return mine.length;
  }

  revoked(detectors: Array<Pick<Detector, 'get' | 'keyOf'>>): number {
    if (detectors.length === 0) return 0;
    const holds = detectors.map(partitionHolds);
    const released = this.opts.watcher.release((alert) => holds.some((h) => h(alert)));
    if (released) log.info({ released }, 'repair: open incidents of the revoked partitions handed over');
    return released;
  }
}
