import type { HaproxyEvent } from '../haproxy/event.js';
import type { AlertEvent } from '../detect/alert.js';

/**
 * Where events, alerts and hook runs live. Two implementations with the same SQL (sql/):
 * embedded ClickHouse (chdb, the default) and a ClickHouse server (@clickhouse/client).
 */

export interface RejectRow {
  /** ISO-8601 UTC, ms: when the line was read. */
  received_at: string;
  host: string | null;
  source: string | null;
  raw_offset: number | null;
  reason: string;
  raw: string;
}

/** `started`: the `start` row a repair writes before it acts, replaced (same run_id) by its outcome. */
export type HookRunStatus = 'ok' | 'failed' | 'timeout' | 'skipped' | 'dry_run' | 'error' | 'started';

export interface HookRunRow {
  run_id: string;
  alert_id: string | null;
  /** "diagnostic" | "repair" | "notify" | "verify" | "start". */
  phase: string;
  hook: string;
  /** "exec", "http", "probe_backend", "restart_service", "haproxy_runtime", "haproxy_check", … */
  type: string;
  target: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  status: HookRunStatus;
  exit_code: number | null;
  /** Why a run was skipped (cooldown, circuit open, kill switch …) or failed. */
  reason: string | null;
  /** Captured output, capped. */
  output: string;
  dry_run: boolean;
}

export interface ServerStatusRow {
  at: string;
  host: string | null;
  backend: string;
  server: string;
  /** UP, DOWN, MAINT, DRAIN, NOLB, "no check" … */
  status: string;
  check_status: string | null;
  check_duration_ms: number | null;
  weight: number | null;
  current_sessions: number | null;
  /** Deltas since the previous poll. */
  econ_delta: number | null;
  eresp_delta: number | null;
  downtime_s: number | null;
}

export interface QueryParams {
  [name: string]: string | number | boolean | null | string[] | number[];
}

export interface Store {
  /** Applies pending migrations (recorded in a table; each applied once). */
  migrate(): Promise<string[]>;
  /** Idempotent by event_id: a batch written twice is counted once. */
  insertEvents(events: HaproxyEvent[]): Promise<void>;
  insertRejects(rows: RejectRow[]): Promise<void>;
  insertAlert(alert: AlertEvent): Promise<void>;
  insertHookRun(run: HookRunRow): Promise<void>;
  insertServerStatus(rows: ServerStatusRow[]): Promise<void>;
  /** Parameterised SQL ({name:Type} placeholders, bound, never spliced). */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>;
  /** Flushes buffered inserts. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
