import type { HaproxyEvent, HttpTimers, TcpTimers } from './event.js';
import type { BodyContext } from './log-format.js';
import { isTruncatedTail } from './log-format.js';
import { ipText, portAt, sameText, splitCaptures, splitRequest, type RequestParts } from './fields.js';

/**
 * Hand-tuned reader for the two formats almost every HAProxy box logs: `option httplog` and
 * `option tcplog`. It produces exactly the events the compiled manual strings produce
 * (formats.ts; checked by test/unit/haproxy/fast-path.test.ts) in one forward pass with
 * charCodeAt only: no builtin string search, one call per group of '/'-separated numbers, and
 * the strings that repeat from line to line (backend, server, method, version, termination
 * state) reused instead of sliced again. On any mismatch it returns a reason and the caller
 * falls back to the compiled formats.
 */

const scratch: RequestParts = { method: null, uri: null, http_version: null };

/** The numbers of the last `numbers` call, and where it stopped. */
const NUM = new Float64Array(8);
/** Bit k set when number k was written with a leading '+' (logasap). */
let plusMask = 0;
let stop = 0;

/**
 * Numbers separated by '/' from pos, each with the rules of fields.intAt (optional '+' or '-',
 * then 1 to 19 digits), up to the first character that is not '/' after a number (`stop`). At
 * most 8 are read. Returns how many, or -1 when one is malformed.
 */
function numbers(line: string, pos: number): number {
  let i = pos;
  let k = 0;
  plusMask = 0;
  for (;;) {
    let c = line.charCodeAt(i);
    let neg = false;
    if (c === 43) {
      plusMask |= 1 << k;
      c = line.charCodeAt(++i);
    } else if (c === 45) {
      neg = true;
      c = line.charCodeAt(++i);
    }
    const first = i;
    let v = 0;
    while (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      c = line.charCodeAt(++i);
    }
    if (i === first || i - first > 19 || k === 8) return -1;
    NUM[k++] = neg ? -v : v;
    if (c !== 47) {
      stop = i;
      return k;
    }
    i++;
  }
}

/** Interned termination states: a handful of distinct values, one per line. */
const states = new Map<number, string>();
let lastState = '';
function terminationState(line: string, p: number, n: number): string {
  const last = lastState;
  if (last.length === n && sameText(line, p, last)) return last;
  let key = n;
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
  lastState = s;
  return s;
}

/**
 * [s, e) of `line` as a string, reusing `previous` when it holds the same text: backend and
 * server names repeat, and a reused string costs neither an allocation nor a reference that
 * keeps the whole line alive.
 */
function reuse(previous: string, line: string, s: number, e: number): string {
  return previous.length === e - s && sameText(line, s, previous) ? previous : line.slice(s, e);
}

/** The last strings read, per field, for `reuse`. */
const last = { frontend: '', backend: '', server: '', method: '' };

/** `httplog` or `tcplog` message at pos (decided by the timer count); null on success. */
export function fastRequestLine(line: string, pos: number, ev: HaproxyEvent, ctx: BodyContext): string | null {
  const len = line.length;
  // client ip:port: up to the first space, split on the last colon before it
  let sp = pos;
  let colon = -1;
  for (; sp < len; sp++) {
    const c = line.charCodeAt(sp);
    if (c === 32) break;
    if (c === 58) colon = sp;
  }
  if (sp === len) return 'not an httplog/tcplog line';
  if (colon < 0) return 'expected "address:port" at column ' + (pos + 1);
  const port = portAt(line, colon + 1, sp);
  if (port !== null && port !== port) return 'bad client port';
  // [accept date]
  if (line.charCodeAt(sp + 1) !== 91) return 'expected "[" before the accept date';
  let close = sp + 2;
  while (close < len && line.charCodeAt(close) !== 93) close++;
  if (close === len) return 'truncated line: no accept date';
  const ms = ctx.acceptDate(line, sp + 2, close);
  if (ms !== ms) return 'bad accept date';
  if (line.charCodeAt(close + 1) !== 32) return 'expected a space after the accept date';
  // frontend, backend/server
  const feStart = close + 2;
  let feEnd = feStart;
  while (feEnd < len && line.charCodeAt(feEnd) !== 32) feEnd++;
  if (feEnd === len) return 'truncated line: no backend/server';
  const beStart = feEnd + 1;
  let slash = -1;
  let bsEnd = beStart;
  for (; bsEnd < len; bsEnd++) {
    const c = line.charCodeAt(bsEnd);
    if (c === 32) break;
    if (c === 47 && slash < 0) slash = bsEnd;
  }
  if (bsEnd === len) return 'truncated line: no timers';
  if (slash < 0) return 'expected "backend/server"';
  // timers: TR/Tw/Tc/Tr/Ta (http) or Tw/Tc/Tt (tcp), then a space
  const timerCount = numbers(line, bsEnd + 1);
  if ((timerCount !== 5 && timerCount !== 3) || line.charCodeAt(stop) !== 32) return 'bad timers';
  const http = timerCount === 5;
  const timerPlus = plusMask;
  let p = stop + 1;
  if (http) {
    const timers: HttpTimers = { TR: NUM[0], Tw: NUM[1], Tc: NUM[2], Tr: NUM[3], Ta: NUM[4] };
    if (numbers(line, p) !== 1 || line.charCodeAt(stop) !== 32) return 'bad status';
    ev.kind = 'http';
    ev.format = 'httplog';
    ev.timers = timers;
    if ((timerPlus & 16) !== 0) ev.logasap.push('Ta');
    ev.status = NUM[0];
    p = stop + 1;
  } else {
    ev.kind = 'tcp';
    ev.format = 'tcplog';
    const timers: TcpTimers = { Tw: NUM[0], Tc: NUM[1], Tt: NUM[2] };
    ev.timers = timers;
    if ((timerPlus & 4) !== 0) ev.logasap.push('Tt');
  }
  ev.client_ip = ipText(line, pos, colon);
  ev.client_port = port;
  ctx.date.ms = ms;
  ev.frontend = last.frontend = reuse(last.frontend, line, feStart, feEnd);
  ev.backend = last.backend = reuse(last.backend, line, beStart, slash);
  ev.server = last.server = reuse(last.server, line, slash + 1, bsEnd);

  if (numbers(line, p) !== 1 || line.charCodeAt(stop) !== 32) return 'bad bytes_read';
  if (plusMask !== 0) ev.logasap.push('bytes_read');
  ev.bytes_read = NUM[0];
  p = stop + 1;
  if (http) {
    sp = p;
    while (sp < len && line.charCodeAt(sp) !== 32) sp++;
    if (sp === len) return 'truncated line: no response cookie';
    ev.captured_request_cookie = line.slice(p, sp);
    p = sp + 1;
    sp = p;
    while (sp < len && line.charCodeAt(sp) !== 32) sp++;
    if (sp === len) return 'truncated line: no termination state';
    ev.captured_response_cookie = line.slice(p, sp);
    p = sp + 1;
  }
  const stateLen = http ? 4 : 2;
  if (p + stateLen > len || line.charCodeAt(p + stateLen) !== 32) return 'bad termination state';
  ev.termination_state = terminationState(line, p, stateLen);
  p += stateLen + 1;
  // actconn/feconn/beconn/srv_conn/retries srv_queue/backend_queue
  if (numbers(line, p) !== 5 || line.charCodeAt(stop) !== 32) return 'bad connection counts';
  if ((plusMask & 16) !== 0) ev.logasap.push('retries');
  ev.actconn = NUM[0];
  ev.feconn = NUM[1];
  ev.beconn = NUM[2];
  ev.srv_conn = NUM[3];
  ev.retries = NUM[4];
  if (numbers(line, stop + 1) !== 2 || (stop !== len && line.charCodeAt(stop) !== 32)) return 'bad queues';
  ev.srv_queue = NUM[0];
  ev.backend_queue = NUM[1];
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
  if (line.charCodeAt(len - 1) === 34 && len - 1 > p) {
    ev.request = line.slice(p + 1, len - 1);
    if (request11(line, p + 1, len - 1, ev)) return null;
  } else if (isTruncatedTail(line, p)) {
    ev.request = line.slice(p + 1);
  } else {
    return 'unexpected text after the request';
  }
  splitRequest(ev.request, scratch);
  ev.method = scratch.method;
  ev.uri = scratch.uri;
  ev.http_version = scratch.http_version;
  return null;
}

/**
 * The common request `METHOD URI HTTP/1.1` in [s, e) split in place: what splitRequest gives,
 * without slicing the request first. False for any other shape (splitRequest then decides).
 */
function request11(line: string, s: number, e: number, ev: HaproxyEvent): boolean {
  const v = e - 9; // the space before "HTTP/1.1"
  if (v <= s || line.charCodeAt(v) !== 32 || line.charCodeAt(e - 1) !== 49 || line.charCodeAt(e - 2) !== 46 ||
      line.charCodeAt(e - 3) !== 49 || line.charCodeAt(e - 4) !== 47 || line.charCodeAt(e - 5) !== 80 ||
      line.charCodeAt(e - 6) !== 84 || line.charCodeAt(e - 7) !== 84 || line.charCodeAt(e - 8) !== 72) {
    return false;
  }
  const c0 = line.charCodeAt(s);
  if (c0 === 60 /* < */) return false;
  let sp = s;
  while (sp < v && line.charCodeAt(sp) !== 32) sp++;
  // "M HTTP/1.1" has no URI: the version is then the URI (splitRequest's rule).
  if (sp >= v) return false;
  ev.method = last.method = reuse(last.method, line, s, sp);
  ev.uri = line.slice(sp + 1, v);
  ev.http_version = 'HTTP/1.1';
  return true;
}
