import type { HaproxyEvent, HttpTimers, TcpTimers } from './event.js';
import type { BodyContext } from './log-format.js';
import { isTruncatedTail } from './log-format.js';
import { ipText, lastColon, portAt, splitCaptures, splitRequestAt, type RequestParts } from './fields.js';

/**
 * Hand-tuned reader for the two formats almost every HAProxy box logs: `option httplog` and
 * `option tcplog`. It produces exactly the events the compiled manual strings produce
 * (formats.ts; checked by test/unit/haproxy/fast-path.test.ts) in one forward pass with
 * charCodeAt/indexOf only. On any mismatch it returns a reason and the caller falls back to the
 * compiled formats.
 */

const scratch: RequestParts = { method: null, uri: null, http_version: null };

/** Index where the last readInt stopped (the delimiter), set by readInt. */
let stop = 0;

/**
 * Integer from pos up to the first `delim` (or the end of the line when delim is -1), with the
 * same rules as fields.intAt: optional '+' or '-', then 1 to 19 digits. NaN on anything else.
 */
function readInt(line: string, pos: number, delim: number): number {
  const len = line.length;
  let i = pos;
  let c = line.charCodeAt(i);
  let neg = false;
  if (c === 43) c = line.charCodeAt(++i);
  else if (c === 45) {
    neg = true;
    c = line.charCodeAt(++i);
  }
  const first = i;
  let v = 0;
  while (c >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    c = line.charCodeAt(++i);
  }
  if (i === first || i - first > 19 || (delim < 0 ? i !== len : c !== delim)) return Number.NaN;
  stop = i;
  return neg ? -v : v;
}

/** Interned termination states: a handful of distinct values, one per line. */
const states = new Map<number, string>();
function terminationState(line: string, p: number, n: number): string {
  // 7 bits per character and one for the length (2 or 4): within V8's small integers, so the
  // Map lookup neither hashes nor allocates a heap number.
  let key = n === 2 ? 0 : 1;
  for (let i = 0; i < n; i++) {
    const c = line.charCodeAt(p + i);
    if (c < 32 || c > 126) return line.slice(p, p + n);
    key = key * 128 + c;
  }
  let s = states.get(key);
  if (s === undefined) {
    s = line.slice(p, p + n);
    if (states.size < 4096) states.set(key, s);
  }
  return s;
}

/** `httplog` or `tcplog` message at pos (decided by the timer count); null on success. */
export function fastRequestLine(line: string, pos: number, ev: HaproxyEvent, ctx: BodyContext): string | null {
  const len = line.length;
  // client ip:port, split on the last colon
  let sp = line.indexOf(' ', pos);
  if (sp < 0) return 'not an httplog/tcplog line';
  const colon = lastColon(line, pos, sp);
  if (colon < pos) return 'expected "address:port" at column ' + (pos + 1);
  const port = portAt(line, colon + 1, sp);
  if (port !== null && port !== port) return 'bad client port';
  // [accept date]
  if (line.charCodeAt(sp + 1) !== 91) return 'expected "[" before the accept date';
  const close = line.indexOf(']', sp + 2);
  if (close < 0) return 'truncated line: no accept date';
  const ms = ctx.acceptDate(line, sp + 2, close);
  if (ms !== ms) return 'bad accept date';
  if (line.charCodeAt(close + 1) !== 32) return 'expected a space after the accept date';
  // frontend, backend/server
  const feStart = close + 2;
  const feEnd = line.indexOf(' ', feStart);
  if (feEnd < 0) return 'truncated line: no backend/server';
  const beStart = feEnd + 1;
  const bsEnd = line.indexOf(' ', beStart);
  if (bsEnd < 0) return 'truncated line: no timers';
  const slash = line.indexOf('/', beStart);
  if (slash < 0 || slash > bsEnd) return 'expected "backend/server"';
  // timers: TR/Tw/Tc/Tr/Ta (http) or Tw/Tc/Tt (tcp)
  const t0 = readInt(line, bsEnd + 1, 47);
  if (t0 !== t0) return 'bad timers';
  const t1 = readInt(line, stop + 1, 47);
  if (t1 !== t1) return 'bad timers';
  const t2Start = stop + 1;
  let t2 = readInt(line, t2Start, 47);
  let http = true;
  if (t2 !== t2) {
    t2 = readInt(line, t2Start, 32);
    if (t2 !== t2) return 'bad timers';
    http = false;
  }
  let p: number;
  if (http) {
    const t3 = readInt(line, stop + 1, 47);
    if (t3 !== t3) return 'bad timers';
    const t4Start = stop + 1;
    const t4 = readInt(line, t4Start, 32);
    if (t4 !== t4) return 'bad timers';
    p = stop + 1;
    const status = readInt(line, p, 32);
    if (status !== status) return 'bad status';
    ev.kind = 'http';
    ev.format = 'httplog';
    const timers: HttpTimers = { TR: t0, Tw: t1, Tc: t2, Tr: t3, Ta: t4 };
    ev.timers = timers;
    if (line.charCodeAt(t4Start) === 43) ev.logasap.push('Ta');
    ev.status = status;
    p = stop + 1;
  } else {
    ev.kind = 'tcp';
    ev.format = 'tcplog';
    const timers: TcpTimers = { Tw: t0, Tc: t1, Tt: t2 };
    ev.timers = timers;
    if (line.charCodeAt(t2Start) === 43) ev.logasap.push('Tt');
    p = stop + 1;
  }
  ev.client_ip = ipText(line, pos, colon);
  ev.client_port = port;
  ctx.date.ms = ms;
  ev.frontend = line.slice(feStart, feEnd);
  ev.backend = line.slice(beStart, slash);
  ev.server = line.slice(slash + 1, bsEnd);

  const bytes = readInt(line, p, 32);
  if (bytes !== bytes) return 'bad bytes_read';
  if (line.charCodeAt(p) === 43) ev.logasap.push('bytes_read');
  ev.bytes_read = bytes;
  p = stop + 1;
  if (http) {
    sp = line.indexOf(' ', p);
    if (sp < 0) return 'truncated line: no response cookie';
    ev.captured_request_cookie = line.slice(p, sp);
    p = sp + 1;
    sp = line.indexOf(' ', p);
    if (sp < 0) return 'truncated line: no termination state';
    ev.captured_response_cookie = line.slice(p, sp);
    p = sp + 1;
  }
  const stateLen = http ? 4 : 2;
  if (p + stateLen > len || line.charCodeAt(p + stateLen) !== 32) return 'bad termination state';
  ev.termination_state = terminationState(line, p, stateLen);
  p += stateLen + 1;
  // actconn/feconn/beconn/srv_conn/retries srv_queue/backend_queue
  const ac = readInt(line, p, 47);
  if (ac !== ac) return 'bad connection counts';
  const fc = readInt(line, stop + 1, 47);
  if (fc !== fc) return 'bad connection counts';
  const bc = readInt(line, stop + 1, 47);
  if (bc !== bc) return 'bad connection counts';
  const sc = readInt(line, stop + 1, 47);
  if (sc !== sc) return 'bad connection counts';
  const rcStart = stop + 1;
  const rc = readInt(line, rcStart, 32);
  if (rc !== rc) return 'bad connection counts';
  if (line.charCodeAt(rcStart) === 43) ev.logasap.push('retries');
  const sq = readInt(line, stop + 1, 47);
  if (sq !== sq) return 'bad queues';
  const bqStart = stop + 1;
  let bq = readInt(line, bqStart, 32);
  if (bq !== bq) {
    bq = readInt(line, bqStart, -1);
    if (bq !== bq) return 'bad queues';
  }
  ev.actconn = ac;
  ev.feconn = fc;
  ev.beconn = bc;
  ev.srv_conn = sc;
  ev.retries = rc;
  ev.srv_queue = sq;
  ev.backend_queue = bq;
  const atEnd = stop === len;
  if (!http) return atEnd ? null : 'unexpected text after the last field';
  if (atEnd) return 'truncated line: no request';
  p = stop + 1;
  // optional {request headers} {response headers}
  if (line.charCodeAt(p) === 123) {
    const end = line.indexOf('}', p + 1);
    if (end < 0) return 'unterminated header capture';
    ev.captured_request_headers = splitCaptures(line, p + 1, end);
    p = end + 1;
    if (line.charCodeAt(p) !== 32) return 'expected a space after the header capture';
    p++;
    if (line.charCodeAt(p) === 123) {
      const end2 = line.indexOf('}', p + 1);
      if (end2 < 0) return 'unterminated header capture';
      ev.captured_response_headers = splitCaptures(line, p + 1, end2);
      p = end2 + 1;
      if (line.charCodeAt(p) !== 32) return 'expected a space after the header capture';
      p++;
    }
  }
  if (line.charCodeAt(p) !== 34) return p >= len ? 'truncated line: no request' : 'expected a quoted request';
  let reqEnd: number;
  if (line.charCodeAt(len - 1) === 34 && len - 1 > p) reqEnd = len - 1;
  else if (isTruncatedTail(line, p)) reqEnd = len;
  else return 'unexpected text after the request';
  ev.request = line.slice(p + 1, reqEnd);
  splitRequestAt(line, p + 1, reqEnd, scratch);
  ev.method = scratch.method;
  ev.uri = scratch.uri;
  ev.http_version = scratch.http_version;
  return null;
}
