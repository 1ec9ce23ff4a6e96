/**
 * Alert lifecycle events: what the detector emits, the `breakwater.alerts` topic carries,
 * the store's `alerts` table keeps and the dispatcher (notify + repair) receives.
 */

export type AlertState = 'firing' | 'resolved';

/** The series an alert is about (the window key; fields absent from the key are null). */
export interface AlertKey {
  host: string | null;
  backend: string | null;
  server: string | null;
}

export interface AlertEvent extends AlertKey {
  /** Stable for one incident across firing and resolved: a hash of key + fired_at. */
  alert_id: string;
  state: AlertState;
  /** The rule: "conn_failures_above_normal", "server_down", … */
  rule: string;
  /** One line a human reads. */
  summary: string;
  /** Event time (ISO-8601 UTC, ms). */
  fired_at: string;
  resolved_at: string | null;
  /** Event time this lifecycle event was emitted at. */
  at: string;
  /** Failures per evaluation window now, the learnt normal, and the threshold that was crossed. */
  observed: number;
  baseline: number;
  threshold: number;
  /** Failure ratio now and normally (failures / requests). */
  observed_ratio: number;
  baseline_ratio: number;
  requests: number;
  first_seen: string;
  last_seen: string;
  /** A few recent failing raw lines or event summaries. */
  samples: string[];
  /**
   * Consecutive detector evaluations the condition has held at this event (repair hooks can
   * require N before acting). Absent: 1.
   */
  evaluations?: number;
  /** Set on resolve when a repair ran: ms from the first repair to recovery. */
  time_to_recover_ms?: number | null;
}

/** Receives alert lifecycle events (notify and repair hang off this). */
export interface AlertDispatcher {
  dispatch(event: AlertEvent): Promise<void>;
  close(): Promise<void>;
}
