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
import { utcTimeMs } from './native.js';
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

  /**
   * Epoch milliseconds of an ISO-8601 time (the Native encoder writes them as they are, for
   * DateTime64(3) and, in whole seconds, DateTime). The parser's 'YYYY-MM-DDThh:mm:ss.mmmZ' is
   * read by utcTimeMs (native.ts); other ISO forms (offsets) through Date.
   */
  epochMs(iso: string): number {
    const ms = utcTimeMs(iso);
    if (!Number.isNaN(ms)) return ms;
    const [date, time, millis] = splitTime(iso);
    return Date.parse(`${date}T${time}Z`) + millis;
  }

  text(iso: string): string {
    // The parser's own form: one check, two slices.
    if (this.features.dateTime64 && ISO_UTC_MS.test(iso)) return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
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

/** haproxy_events columns in the order eventValues() returns them (timestamp_ms only before DateTime64). */
export function eventColumns(features: Features): string[] {
  const columns = [
    'timestamp', 'event_id', 'host', 'kind', 'format', 'program', 'pid', 'client_ip', 'client_port', 'frontend', 'bind',
    'backend', 'server', 'status', 'bytes_read', 'termination_state', 'timer_TR', 'timer_Tw', 'timer_Tc', 'timer_Tr',
    'timer_Ta', 'timer_Tt', 'timers_extra', 'retries', 'actconn', 'feconn', 'beconn', 'srv_conn', 'srv_queue',
    'backend_queue', 'method', 'uri', 'http_version', 'request', 'captured_request_cookie', 'captured_response_cookie',
    'captured_request_headers', 'captured_response_headers', 'ssl_version', 'ssl_ciphers', 'ssl_fc_err', 'ssl_c_err',
    'ssl_c_ca_err', 'ssl_sni', 'logasap', 'conn_failure', 'termination_cause', 'termination_phase', 'server_error',
    'health_state', 'health_reason', 'health_check', 'health_active_servers', 'health_backup_servers', 'message', 'extra',
    'source', 'raw_offset',
  ];
  if (!features.dateTime64) columns.push('timestamp_ms');
  return columns;
}

const timerOf = (timers: Record<string, number>, k: string): number | null => (typeof timers[k] === 'number' ? timers[k] : null);

/** Timers beyond the named columns (custom log formats), as JSON; '' when there are none. */
function extraTimers(timers: Record<string, number>): string {
  let extra: Record<string, number> | null = null;
  for (const k in timers) {
    if (NAMED_TIMERS.has(k)) continue;
    (extra ??= {})[k] = timers[k];
  }
  return extra ? JSON.stringify(extra) : '';
}

/**
 * One event's values in eventColumns() order. An array, not an object: this runs once per
 * stored line, and the 59-key object plus Object.values() cost more than the Native encoding.
 */
export function eventValues(e: HaproxyEvent, t: TimeFormat, features: Features): unknown[] {
  const timers = (e.timers ?? {}) as Record<string, number>;
  const health = e.health;
  const values: unknown[] = [
    t.epochMs(e.timestamp),
    eventIdOf(e),
    str(e.host),
    e.kind,
    str(e.format),
    str(e.program),
    e.pid,
    e.client_ip,
    e.client_port,
    str(e.frontend),
    str(e.bind),
    str(e.backend),
    str(e.server),
    e.status,
    e.bytes_read,
    str(e.termination_state),
    timerOf(timers, 'TR'),
    timerOf(timers, 'Tw'),
    timerOf(timers, 'Tc'),
    timerOf(timers, 'Tr'),
    timerOf(timers, 'Ta'),
    timerOf(timers, 'Tt'),
    extraTimers(timers),
    e.retries,
    e.actconn,
    e.feconn,
    e.beconn,
    e.srv_conn,
    e.srv_queue,
    e.backend_queue,
    str(e.method),
    e.uri,
    str(e.http_version),
    e.request,
    e.captured_request_cookie,
    e.captured_response_cookie,
    e.captured_request_headers ?? [],
    e.captured_response_headers ?? [],
    str(e.ssl_version),
    str(e.ssl_ciphers),
    e.ssl_fc_err,
    e.ssl_c_err,
    e.ssl_c_ca_err,
    e.ssl_sni,
    e.logasap ?? [],
    e.conn_failure ? 1 : 0,
    str(e.termination_cause),
    str(e.termination_phase),
    e.server_error ? 1 : 0,
    str(health?.state),
    health?.reason ?? null,
    str(health?.check),
    health?.active_servers ?? null,
    health?.backup_servers ?? null,
    e.message,
    e.extra ? JSON.stringify(e.extra) : '',
    e.source ?? null,
    e.raw_offset ?? null,
  ];
  if (!features.dateTime64) values.push(t.ms(e.timestamp));
  return values;
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
