/**
 * Store rows from the contract types: one object per event, alert, hook run, reject or status
 * row, keyed by the columns of sql/migrations in a fixed order (sql-store.ts writes them as
 * TabSeparated lines). Name-like columns are LowCardinality(String) with '' for null
 * (ClickHouse sorting keys cannot be Nullable).
 */
export type Row = Record<string, unknown>;
import { createHash } from 'node:crypto';
import type { HaproxyEvent } from '../haproxy/event.js';
import type { AlertEvent } from '../detect/alert.js';
import type { Features } from './features.js';
import type { HookRunRow, RejectRow, ServerStatusRow } from './store.js';

const ISO_UTC_MS = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})\.(\d{3})Z$/;

/** ISO-8601 → ClickHouse text in UTC: [date, time, ms]. */
function splitTime(iso: string): [string, string, number] {
  const m = ISO_UTC_MS.exec(iso);
  if (m) return [m[1], m[2], Number(m[3])];
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`not an ISO-8601 time: '${iso}'`);
  const s = d.toISOString();
  return [s.slice(0, 10), s.slice(11, 19), d.getUTCMilliseconds()];
}

/** Renders times for DateTime64(3) columns, or whole seconds for DateTime on old servers. */
export class TimeFormat {
  constructor(private readonly features: Features) {}

  text(iso: string): string {
    const [date, time, ms] = splitTime(iso);
    return this.features.dateTime64 ? `${date} ${time}.${String(ms).padStart(3, '0')}` : `${date} ${time}`;
  }

  nullable(iso: string | null | undefined): string | null {
    return iso ? this.text(iso) : null;
  }

  ms(iso: string): number {
    return splitTime(iso)[2];
  }
}

const str = (v: string | null | undefined): string => v ?? '';
const NAMED_TIMERS = new Set(['TR', 'Tw', 'Tc', 'Tr', 'Ta', 'Tt']);

/**
 * The event's identity for deduplication: the shipper's event_id (host + file + offset) when
 * set, otherwise a hash of the whole event, so re-inserting the same parsed line is still
 * idempotent (two byte-identical lines in the same millisecond then count once).
 */
export function eventIdOf(e: HaproxyEvent): string {
  if (e.event_id) return e.event_id;
  return 'h:' + createHash('sha256').update(JSON.stringify(e)).digest('base64url').slice(0, 32);
}

export function eventRow(e: HaproxyEvent, t: TimeFormat, features: Features): Row {
  const timers = (e.timers ?? {}) as Record<string, number>;
  const extraTimers = Object.entries(timers).filter(([k]) => !NAMED_TIMERS.has(k));
  const timer = (k: string) => (typeof timers[k] === 'number' ? timers[k] : null);
  const row: Row = {
    timestamp: t.text(e.timestamp),
    event_id: eventIdOf(e),
    host: str(e.host),
    kind: e.kind,
    format: str(e.format),
    program: str(e.program),
    pid: e.pid,
    client_ip: e.client_ip,
    client_port: e.client_port,
    frontend: str(e.frontend),
    bind: str(e.bind),
    backend: str(e.backend),
    server: str(e.server),
    status: e.status,
    bytes_read: e.bytes_read,
    termination_state: str(e.termination_state),
    timer_TR: timer('TR'),
    timer_Tw: timer('Tw'),
    timer_Tc: timer('Tc'),
    timer_Tr: timer('Tr'),
    timer_Ta: timer('Ta'),
    timer_Tt: timer('Tt'),
    timers_extra: extraTimers.length ? JSON.stringify(Object.fromEntries(extraTimers)) : '',
    retries: e.retries,
    actconn: e.actconn,
    feconn: e.feconn,
    beconn: e.beconn,
    srv_conn: e.srv_conn,
    srv_queue: e.srv_queue,
    backend_queue: e.backend_queue,
    method: str(e.method),
    uri: e.uri,
    http_version: str(e.http_version),
    request: e.request,
    captured_request_cookie: e.captured_request_cookie,
    captured_response_cookie: e.captured_response_cookie,
    captured_request_headers: e.captured_request_headers ?? [],
    captured_response_headers: e.captured_response_headers ?? [],
    ssl_version: str(e.ssl_version),
    ssl_ciphers: str(e.ssl_ciphers),
    ssl_fc_err: e.ssl_fc_err,
    ssl_c_err: e.ssl_c_err,
    ssl_c_ca_err: e.ssl_c_ca_err,
    ssl_sni: e.ssl_sni,
    logasap: e.logasap ?? [],
    conn_failure: e.conn_failure ? 1 : 0,
    termination_cause: str(e.termination_cause),
    termination_phase: str(e.termination_phase),
    server_error: e.server_error ? 1 : 0,
    health_state: str(e.health?.state),
    health_reason: e.health?.reason ?? null,
    health_check: str(e.health?.check),
    health_active_servers: e.health?.active_servers ?? null,
    health_backup_servers: e.health?.backup_servers ?? null,
    message: e.message,
    extra: e.extra ? JSON.stringify(e.extra) : '',
    source: e.source ?? null,
    raw_offset: e.raw_offset ?? null,
  };
  // Added after the literal (not spread into it) so every row keeps one fast object shape.
  if (!features.dateTime64) row.timestamp_ms = t.ms(e.timestamp);
  return row;
}

export function alertRow(a: AlertEvent, t: TimeFormat): Row {
  return {
    alert_id: a.alert_id,
    state: a.state,
    rule: a.rule,
    summary: a.summary,
    host: str(a.host),
    backend: str(a.backend),
    server: str(a.server),
    fired_at: t.text(a.fired_at),
    resolved_at: t.nullable(a.resolved_at),
    at: t.text(a.at),
    observed: a.observed,
    baseline: a.baseline,
    threshold: a.threshold,
    observed_ratio: a.observed_ratio,
    baseline_ratio: a.baseline_ratio,
    requests: a.requests,
    first_seen: t.text(a.first_seen),
    last_seen: t.text(a.last_seen),
    samples: a.samples,
    time_to_recover_ms: a.time_to_recover_ms ?? null,
  };
}

export function hookRunRow(r: HookRunRow, t: TimeFormat): Row {
  return {
    run_id: r.run_id,
    alert_id: r.alert_id,
    phase: r.phase,
    hook: r.hook,
    type: r.type,
    target: r.target,
    started_at: t.text(r.started_at),
    finished_at: t.text(r.finished_at),
    duration_ms: r.duration_ms,
    status: r.status,
    exit_code: r.exit_code,
    reason: r.reason,
    output: r.output,
    dry_run: r.dry_run ? 1 : 0,
  };
}

/** Rejects dedup on where the line was read and what it said, not on when. */
export function rejectRow(r: RejectRow, t: TimeFormat): Row {
  const reject_id = createHash('sha256')
    .update(JSON.stringify([r.host, r.source, r.raw_offset, r.raw]))
    .digest('base64url')
    .slice(0, 32);
  return {
    reject_id,
    received_at: t.text(r.received_at),
    host: str(r.host),
    source: r.source,
    raw_offset: r.raw_offset,
    reason: r.reason,
    raw: r.raw,
  };
}

export function serverStatusRow(r: ServerStatusRow, t: TimeFormat): Row {
  return {
    at: t.text(r.at),
    host: str(r.host),
    backend: r.backend,
    server: r.server,
    status: r.status,
    check_status: r.check_status,
    check_duration_ms: r.check_duration_ms,
    weight: r.weight,
    current_sessions: r.current_sessions,
    econ_delta: r.econ_delta,
    eresp_delta: r.eresp_delta,
    downtime_s: r.downtime_s,
  };
}
