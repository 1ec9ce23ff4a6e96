import type { HaproxyEvent, HealthInfo } from './event.js';

/**
 * HaproxyEvent → JSON text, the same text JSON.stringify gives for an event built by newEvent()
 * (same key order; undefined optional fields left out): the field list is fixed, so nothing is
 * reflected over, and most strings need no escaping at all. Strings that do
 * (quotes, backslashes, control characters, surrogates) go through JSON.stringify, which escapes
 * exactly as JSON requires, lone surrogates included.
 */

const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function str(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function strOrNull(s: string | null): string {
  return s === null ? 'null' : str(s);
}

/** JSON numbers: non-finite values become null, as in JSON.stringify. */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

function numOrNull(n: number | null): string {
  return n === null ? 'null' : num(n);
}

function strings(list: readonly string[]): string {
  if (list.length === 0) return '[]';
  let out = '[' + str(list[0]);
  for (let i = 1; i < list.length; i++) out += ',' + str(list[i]);
  return out + ']';
}

function stringsOrNull(list: readonly string[] | null): string {
  return list === null ? 'null' : strings(list);
}

/** A flat record (timers, extra): own enumerable keys in insertion order, undefined values left out. */
function record(r: Readonly<Record<string, string | number | undefined>> | null): string {
  if (r === null) return 'null';
  let out = '{';
  for (const k in r) {
    const v = r[k];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    out += str(k) + ':' + (typeof v === 'number' ? num(v) : str(v));
  }
  return out + '}';
}

function health(h: HealthInfo | null): string {
  if (h === null) return 'null';
  return (
    `{"state":${str(h.state)},"reason":${strOrNull(h.reason)},"check":${strOrNull(h.check)}` +
    `,"active_servers":${numOrNull(h.active_servers)},"backup_servers":${numOrNull(h.backup_servers)}}`
  );
}

export function eventJson(e: HaproxyEvent): string {
  return flat(concatenated(e));
}

/**
 * The concatenations above build a rope of some hundred pieces; kept in a batch until Kafka
 * acknowledges it, a rope costs the garbage collector about three times what JSON.stringify's flat
 * string does. Reading one character makes V8 flatten it into one sequential string now.
 */
function flat(s: string): string {
  s.charCodeAt(s.length - 1);
  return s;
}

function concatenated(e: HaproxyEvent): string {
  let out =
    `{"timestamp":${str(e.timestamp)},"host":${strOrNull(e.host)},"kind":${str(e.kind)},"format":${str(e.format)}` +
    `,"program":${strOrNull(e.program)},"pid":${numOrNull(e.pid)}` +
    `,"client_ip":${strOrNull(e.client_ip)},"client_port":${numOrNull(e.client_port)}` +
    `,"frontend":${strOrNull(e.frontend)},"bind":${strOrNull(e.bind)},"backend":${strOrNull(e.backend)},"server":${strOrNull(e.server)}` +
    `,"status":${numOrNull(e.status)},"bytes_read":${numOrNull(e.bytes_read)},"termination_state":${strOrNull(e.termination_state)}` +
    `,"timers":${record(e.timers)},"retries":${numOrNull(e.retries)}` +
    `,"actconn":${numOrNull(e.actconn)},"feconn":${numOrNull(e.feconn)},"beconn":${numOrNull(e.beconn)}` +
    `,"srv_conn":${numOrNull(e.srv_conn)},"srv_queue":${numOrNull(e.srv_queue)},"backend_queue":${numOrNull(e.backend_queue)}` +
    `,"method":${strOrNull(e.method)},"uri":${strOrNull(e.uri)},"http_version":${strOrNull(e.http_version)},"request":${strOrNull(e.request)}` +
    `,"captured_request_cookie":${strOrNull(e.captured_request_cookie)},"captured_response_cookie":${strOrNull(e.captured_response_cookie)}` +
    `,"captured_request_headers":${stringsOrNull(e.captured_request_headers)},"captured_response_headers":${stringsOrNull(e.captured_response_headers)}` +
    `,"ssl_version":${strOrNull(e.ssl_version)},"ssl_ciphers":${strOrNull(e.ssl_ciphers)},"ssl_fc_err":${strOrNull(e.ssl_fc_err)}` +
    `,"ssl_c_err":${strOrNull(e.ssl_c_err)},"ssl_c_ca_err":${strOrNull(e.ssl_c_ca_err)},"ssl_sni":${strOrNull(e.ssl_sni)}` +
    `,"logasap":${strings(e.logasap)},"conn_failure":${e.conn_failure}` +
    `,"termination_cause":${strOrNull(e.termination_cause)},"termination_phase":${strOrNull(e.termination_phase)}` +
    `,"server_error":${e.server_error},"health":${health(e.health)},"message":${strOrNull(e.message)},"extra":${record(e.extra)}`;
  if (e.source !== undefined) out += `,"source":${str(e.source)}`;
  if (e.raw_offset !== undefined) out += `,"raw_offset":${num(e.raw_offset)}`;
  if (e.event_id !== undefined) out += `,"event_id":${str(e.event_id)}`;
  return out + '}';
}
