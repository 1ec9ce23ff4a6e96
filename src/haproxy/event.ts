/**
 * The parsed-event contract (../shared/DESIGN.md, "Parsed event"). Field names are a public
 * contract: the bus, the store columns and outside checks rely on them. Add fields; never rename.
 */

export type EventKind =
  | 'http' // option httplog / httpslog / clf, or a custom HTTP log-format
  | 'tcp' // option tcplog / clf
  | 'error' // "fe/bind: Connection error during SSL handshake" and other connection errors
  | 'health' // "Server be/s is DOWN/UP", "backend be has no server available!"
  | 'connect' // legacy default format: "Connect from ip:port to ip:port (fe/MODE)"
  | 'proxy' // "Proxy fe started." and other proxy lifecycle lines
  | 'custom'; // a custom log-format without request/timer fields

/** HTTP timers: TR Tw Tc Tr Ta (ms). -1 is kept: the phase did not happen. */
export interface HttpTimers {
  TR: number;
  Tw: number;
  Tc: number;
  Tr: number;
  Ta: number;
  /** Tq/Th/Ti when the format logs them (custom formats). */
  [extra: string]: number;
}

/** TCP timers: Tw Tc Tt (ms). -1 kept. */
export interface TcpTimers {
  Tw: number;
  Tc: number;
  Tt: number;
  [extra: string]: number;
}

/** First character of the termination state (manual, section 8.5). */
export type TerminationCause =
  | 'client' // C
  | 'server' // S
  | 'proxy' // P
  | 'local' // L: the request was handled by HAProxy itself (stats, redirect, http-request return)
  | 'resource' // R
  | 'internal' // I
  | 'down' // D: the server was going down
  | 'killed' // K: killed by the admin
  | 'up' // U: the server came back up (connection redispatched)
  | 'none' // -
  | 'unknown';

/** Second character of the termination state: the session phase when it ended. */
export type TerminationPhase =
  | 'request' // R
  | 'queue' // Q
  | 'connect' // C
  | 'headers' // H
  | 'data' // D
  | 'last_ack' // L
  | 'tarpit' // T
  | 'none' // -
  | 'unknown';

/** Server state changes logged by HAProxy itself (kind "health"). */
export interface HealthInfo {
  /** "DOWN", "UP", "MAINT", "DRAIN", "NOSRV" (backend has no server available) … */
  state: string;
  /** The reason text HAProxy gave ("Layer4 connection problem", …) or null. */
  reason: string | null;
  /** "Layer4 connection problem" → "L4"; check code (L4CON, L7STS …) when logged. */
  check: string | null;
  /** Remaining active / backup servers when logged. */
  active_servers: number | null;
  backup_servers: number | null;
}

export interface HaproxyEvent {
  /** ISO-8601 UTC with milliseconds, from the accept date (or the syslog date when no accept date). */
  timestamp: string;
  /** Syslog hostname; null when the prefix carried none. */
  host: string | null;
  kind: EventKind;
  /** Which format matched: "httplog", "tcplog", "httpslog", "httplog-clf", "tcplog-clf", "error", "legacy", "status", "custom" … */
  format: string;
  /** Syslog program tag ("haproxy") and pid when present. */
  program: string | null;
  pid: number | null;

  client_ip: string | null;
  client_port: number | null;
  frontend: string | null;
  /** The listener ("bind") name in error lines, when logged. */
  bind: string | null;
  backend: string | null;
  /** Kept verbatim, including "<NOSRV>", "<STATS>". */
  server: string | null;
  /** HTTP status; null for tcp and non-request lines. -1 is kept when HAProxy logs it. */
  status: number | null;
  bytes_read: number | null;
  /** "--" style two-char state, or the four-char state with cookie flags when logged. */
  termination_state: string | null;
  /** `{TR,Tw,Tc,Tr,Ta}` for http, `{Tw,Tc,Tt}` for tcp, null otherwise. */
  timers: HttpTimers | TcpTimers | null;
  retries: number | null;
  actconn: number | null;
  feconn: number | null;
  beconn: number | null;
  srv_conn: number | null;
  srv_queue: number | null;
  backend_queue: number | null;

  method: string | null;
  uri: string | null;
  http_version: string | null;
  /** The request line as logged (may be "<BADREQ>" or truncated). */
  request: string | null;

  captured_request_cookie: string | null;
  captured_response_cookie: string | null;
  /** Captured headers in capture order, escapes (#22 #7B #7C #7D #23) decoded. */
  captured_request_headers: string[] | null;
  captured_response_headers: string[] | null;

  /** httpslog TLS fields. */
  ssl_version: string | null;
  ssl_ciphers: string | null;
  ssl_fc_err: string | null;
  ssl_c_err: string | null;
  ssl_c_ca_err: string | null;
  ssl_sni: string | null;

  /** Fields logged with a '+' prefix under `option logasap`: "Ta"/"Tt", "bytes_read", "retries". */
  logasap: string[];

  /** Classification (manual, 8.5). */
  conn_failure: boolean;
  termination_cause: TerminationCause | null;
  termination_phase: TerminationPhase | null;
  /** 5xx produced by the server itself, as opposed to HAProxy's own 502/503/504. */
  server_error: boolean;

  /** Server state change details for kind "health". */
  health: HealthInfo | null;
  /** The free text of non-request lines ("Connection error during SSL handshake"). */
  message: string | null;

  /** Custom log-format fields that have no named column (`%[sample]`, unmapped variables). */
  extra: Record<string, string> | null;

  /** Set by the shipper when the line came from a file. */
  source?: string;
  raw_offset?: number;
  /** Stable across re-reads: host + file identity + byte offset. Set by the shipper. */
  event_id?: string;
}

/** A line that did not parse: counted, kept, never thrown. */
export interface Reject {
  reason: string;
  /** The raw line (capped by the caller where needed). */
  raw: string;
}

export type ParseResult = { ok: true; event: HaproxyEvent } | { ok: false; reject: Reject };

/** The bus key of an event: `host|backend|server` (DESIGN.md, Kafka topics). */
export function eventKey(e: Pick<HaproxyEvent, 'host' | 'backend' | 'server'>): string {
  return `${e.host ?? '-'}|${e.backend ?? '-'}|${e.server ?? '-'}`;
}
