import type { HaproxyEvent } from '../haproxy/event.js';

/**
 * The per-server view of a log that `halog -srv` gives, built from parsed events.
 *
 * What counts, and how it compares with halog (admin/halog/halog.c, filter_count_srv_status):
 * - `requests`: HTTP request lines (kind "http") of the server, whatever their status, as
 *   halog's tot_req (which counts every line with five timers, status classes 1xx..5xx and
 *   "other" for -1 or garbage). tcplog sessions are not requests: they are in `tcp_sessions`
 *   (halog counts them as parse errors). Health lines (`Server be/s is DOWN`) are events but
 *   not requests: they are in `state_changes`/`last_state`.
 * - `1xx`…`5xx`, `other`: status classes of the requests, as halog's columns.
 * - `conn_failures`, `retries`: over requests and tcp sessions (the event's `conn_failure`;
 *   the retries field).
 * - `avg_Tc`: mean connect time over requests and tcp sessions whose Tc is not -1 (halog's
 *   avg_ct skips -1 the same way, over HTTP lines only). `avg_Tr` is halog's avg_rt (server
 *   response time, -1 skipped). `avg_Ta`: mean total active time (Ta, or Tt for tcp), -1
 *   skipped; halog has no such column. Averages are rounded to 0.1 ms (halog truncates to an
 *   integer); null when there was no sample (halog prints 0).
 * The server key is `BACKEND/SERVER` as logged, `<NOSRV>` included, as halog's.
 */
export interface ServerSummary {
  requests: number;
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
  other: number;
  conn_failures: number;
  retries: number;
  avg_Tc: number | null;
  avg_Tr: number | null;
  avg_Ta: number | null;
  tcp_sessions: number;
  state_changes: number;
  last_state: string | null;
}

export interface LogSummary {
  lines: number;
  events: number;
  rejects: number;
  servers: Record<string, ServerSummary>;
}

/** The running counts of one BACKEND/SERVER. */
export class ServerTally {
  requests = 0;
  byClass = [0, 0, 0, 0, 0, 0]; // [other, 1xx, 2xx, 3xx, 4xx, 5xx]
  connFailures = 0;
  retries = 0;
  tcpSessions = 0;
  tcSum = 0;
  tcCount = 0;
  trSum = 0;
  trCount = 0;
  taSum = 0;
  taCount = 0;
  stateChanges = 0;
  lastState: string | null = null;

  /** One HTTP request (the hot path of the lean summary scan). */
  request(status: number, tc: number, tr: number, ta: number, retries: number, connFailure: boolean): void {
    this.requests++;
    this.byClass[statusClass(status)]++;
    if (tr >= 0) {
      this.trSum += tr;
      this.trCount++;
    }
    this.session(tc, ta, retries, connFailure);
  }

  session(tc: number, ta: number, retries: number, connFailure: boolean): void {
    if (tc >= 0) {
      this.tcSum += tc;
      this.tcCount++;
    }
    if (ta >= 0) {
      this.taSum += ta;
      this.taCount++;
    }
    if (retries > 0) this.retries += retries;
    if (connFailure) this.connFailures++;
  }

  /** Adds the counts of `o` (the same server counted over another part of the input, which came after this one). */
  add(o: ServerTally): void {
    this.requests += o.requests;
    for (let i = 0; i < this.byClass.length; i++) this.byClass[i] += o.byClass[i];
    this.connFailures += o.connFailures;
    this.retries += o.retries;
    this.tcpSessions += o.tcpSessions;
    this.tcSum += o.tcSum;
    this.tcCount += o.tcCount;
    this.trSum += o.trSum;
    this.trCount += o.trCount;
    this.taSum += o.taSum;
    this.taCount += o.taCount;
    this.stateChanges += o.stateChanges;
    if (o.lastState !== null) this.lastState = o.lastState;
  }

  toJSON(): ServerSummary {
    const c = this.byClass;
    return {
      requests: this.requests,
      '1xx': c[1],
      '2xx': c[2],
      '3xx': c[3],
      '4xx': c[4],
      '5xx': c[5],
      other: c[0],
      conn_failures: this.connFailures,
      retries: this.retries,
      avg_Tc: mean(this.tcSum, this.tcCount),
      avg_Tr: mean(this.trSum, this.trCount),
      avg_Ta: mean(this.taSum, this.taCount),
      tcp_sessions: this.tcpSessions,
      state_changes: this.stateChanges,
      last_state: this.lastState,
    };
  }
}

function mean(sum: number, count: number): number | null {
  return count === 0 ? null : Math.round((sum / count) * 10) / 10;
}

/** halog's status class: the first digit when it is 1..5, otherwise "other" (-1, garbage). */
export function statusClass(status: number): number {
  return status >= 100 && status <= 599 ? Math.floor(status / 100) : 0;
}

export interface SummaryState {
  lines: number;
  events: number;
  rejects: number;
  servers: [string, ServerTally][];
}

export class SummaryBuilder {
  lines = 0;
  events = 0;
  rejects = 0;
  private readonly servers = new Map<string, ServerTally>();

  /** The tally of `key` (BACKEND/SERVER), created on first use. */
  server(key: string): ServerTally {
    let t = this.servers.get(key);
    if (t === undefined) {
      t = new ServerTally();
      this.servers.set(key, t);
    }
    return t;
  }

  /** Counts one parsed event (the caller counts `lines` and `rejects`). */
  event(e: HaproxyEvent): void {
    this.events++;
    if (e.backend === null || e.server === null) return;
    const key = `${e.backend}/${e.server}`;
    const timers = e.timers;
    if (e.kind === 'http') {
      const t = timers ?? { Tc: -1, Tr: -1, Ta: -1 };
      this.server(key).request(e.status ?? -1, t.Tc ?? -1, t.Tr ?? -1, t.Ta ?? -1, e.retries ?? 0, e.conn_failure);
    } else if (e.kind === 'tcp') {
      const t = this.server(key);
      t.tcpSessions++;
      t.session(timers?.Tc ?? -1, timers?.Tt ?? -1, e.retries ?? 0, e.conn_failure);
    } else if (e.kind === 'health' && e.health !== null) {
      const t = this.server(key);
      t.stateChanges++;
      t.lastState = e.health.state;
    }
  }

  /** The raw counts, as a structured-clone-able object (from a worker thread). */
  state(): SummaryState {
    return { lines: this.lines, events: this.events, rejects: this.rejects, servers: [...this.servers] };
  }

  /** Adds the counts of a later part of the input (`state()` of another builder). */
  merge(s: SummaryState): void {
    this.lines += s.lines;
    this.events += s.events;
    this.rejects += s.rejects;
    for (const [key, tally] of s.servers) this.server(key).add(tally);
  }

  toJSON(): LogSummary {
    const servers: Record<string, ServerSummary> = {};
    for (const key of [...this.servers.keys()].sort()) servers[key] = this.servers.get(key)!.toJSON();
    return { lines: this.lines, events: this.events, rejects: this.rejects, servers };
  }
}
