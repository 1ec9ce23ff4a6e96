import { classify } from '../haproxy/classify.js';
import { newEvent } from '../haproxy/new-event.js';
import type { HttpTimers } from '../haproxy/event.js';
import type { ServerTally, SummaryBuilder } from './summary.js';

/**
 * The lean path of `parse --summary`: reads the fields a per-server summary needs straight
 * from the bytes of a canonical RFC 3164 + `option httplog` line, without decoding the line or
 * building an event. It only takes lines whose every field has the canonical shape
 *   `Mmm dd HH:MM:SS host tag[pid]: ip:port [dd/Mmm/yyyy:HH:MM:SS.mmm] fe be/srv
 *    TR/Tw/Tc/Tr/Ta status bytes cookie cookie TTCC a/f/b/s/r sq/bq "request"`
 * (printable ASCII, no captures, no logasap '+', no negative value but -1) and says no to
 * anything else, which then goes through the full parser. conn_failure is the parser's own
 * `classify`, memoised per (termination state, server kind, Tc = -1).
 * test/unit/analyze/lean-httplog.test.ts holds the counts equal to the parser's.
 */

const SP = 32;
const SLASH = 47;
const COLON = 58;
const DASH = 45;
const QUOTE = 34;

// Character classes, one bit each.
const DIGIT = 1;
const ADDR = 2; // IP address characters: hex digits, '.', ':'
const TOKEN = 4; // printable ASCII but space
const HOST = 8; // syslog host: letters, digits, . - _ :
const TAG = 16; // syslog tag after its first letter: letters, digits, _ - . /
const TEXT = 32; // request text: printable ASCII and space, no quote
const LETTER = 64;

const CLS = new Uint8Array(256);
for (let c = 0x20; c <= 0x7e; c++) {
  const ch = String.fromCharCode(c);
  let v = 0;
  if (/[0-9]/.test(ch)) v |= DIGIT;
  if (/[0-9a-fA-F.:]/.test(ch)) v |= ADDR;
  if (c !== SP) v |= TOKEN;
  if (/[A-Za-z0-9._:-]/.test(ch)) v |= HOST;
  if (/[A-Za-z0-9_./-]/.test(ch)) v |= TAG;
  if (c !== QUOTE) v |= TEXT;
  if (/[A-Za-z]/.test(ch)) v |= LETTER;
  CLS[c] = v;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_CODES = new Set(MONTHS.map((m) => (m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2)));

/** The last month name seen: lines repeat it, a Set lookup per date is not needed. */
let lastMonth = -1;

function isMonth(b: Buffer, p: number): boolean {
  const code = (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
  if (code === lastMonth) return true;
  if (!MONTH_CODES.has(code)) return false;
  lastMonth = code;
  return true;
}

/** Two digits at p, or -1. */
function two(b: Buffer, p: number): number {
  const h = b[p] - 48;
  const l = b[p + 1] - 48;
  return h >= 0 && h <= 9 && l >= 0 && l <= 9 ? h * 10 + l : -1;
}

/** `HH:MM:SS` at p. */
function clock(b: Buffer, p: number): boolean {
  const h = two(b, p);
  const m = two(b, p + 3);
  const s = two(b, p + 6);
  return b[p + 2] === COLON && b[p + 5] === COLON && h >= 0 && h <= 23 && m >= 0 && m <= 59 && s >= 0 && s <= 60;
}

/**
 * The bytes of a field as an earlier line had them, compared four at a time. The syslog date,
 * the syslog tag and the accept date up to its minute repeat from line to line; the same bytes
 * get the same verdict, so a match spares checking them one by one again.
 */
class SameBytes {
  private readonly words = new Int32Array(8);
  /** Length of the remembered bytes (4 to 32), 0 when none. */
  len = 0;

  /** True when [p, p + len) of `view` holds the remembered bytes and ends before `end`. */
  at(view: DataView, p: number, end: number): boolean {
    const len = this.len;
    if (len === 0 || p + len > end) return false;
    const w = this.words;
    const last = len - 4;
    let k = 0;
    for (let o = 0; o < last; o += 4) if (view.getInt32(p + o) !== w[k++]) return false;
    return view.getInt32(p + last) === w[7];
  }

  /** Remembers [p, p + len) of `view` (the last word may overlap the one before it). */
  remember(view: DataView, p: number, len: number): void {
    if (len < 4 || len > 32) {
      this.len = 0;
      return;
    }
    const w = this.words;
    let k = 0;
    for (let o = 0; o < len - 4; o += 4) w[k++] = view.getInt32(p + o);
    w[7] = view.getInt32(p + len - 4);
    this.len = len;
  }
}

/** `Mmm dd HH:MM:SS ` at p. */
function syslogDate(b: Buffer, p: number): boolean {
  if (!isMonth(b, p) || b[p + 3] !== SP || b[p + 6] !== SP || b[p + 15] !== SP) return false;
  const d1 = b[p + 4];
  const d2 = b[p + 5] - 48;
  if (d2 < 0 || d2 > 9 || !(d1 === SP || (CLS[d1] & DIGIT) !== 0)) return false;
  const day = (d1 === SP ? 0 : d1 - 48) * 10 + d2;
  return day >= 1 && day <= 31 && clock(b, p + 7);
}

/** `tag[pid]: ` or `tag: ` at i: the index after it, or -1. */
function syslogTag(b: Buffer, i: number, end: number): number {
  while (i < end && (CLS[b[i]] & TAG) !== 0) i++;
  if (b[i] === 91 /* [ */) {
    const pidStart = ++i;
    while (i < end && (CLS[b[i]] & DIGIT) !== 0) i++;
    if (i === pidStart || i - pidStart > 10 || b[i] !== 93 /* ] */) return -1;
    i++;
  }
  return b[i] === COLON && b[i + 1] === SP ? i + 2 : -1;
}

/** `Mmm dd HH:MM:SS host tag[pid]: `: the index of the message, or -1. */
function syslogPrefix(b: Buffer, view: DataView, p: number, end: number, date: SameBytes, tag: SameBytes): number {
  if (end - p < 20) return -1;
  if (!date.at(view, p, end)) {
    if (!syslogDate(b, p)) return -1;
    date.remember(view, p, 16);
  }
  let i = p + 16;
  // A host the parser could read otherwise is left to it: one ending in ':' (a tag), one
  // starting with an upper-case letter or 'b' (a message word: "Server", "backend" …).
  const h = b[i];
  if (h === 98 || (h >= 65 && h <= 90)) return -1;
  while (i < end && (CLS[b[i]] & HOST) !== 0) i++;
  if (i === p + 16 || b[i] !== SP || b[i - 1] === COLON || (CLS[b[i + 1]] & LETTER) === 0) return -1;
  i++;
  if (tag.at(view, i, end)) return i + tag.len;
  const body = syslogTag(b, i + 1, end);
  if (body >= 0) tag.remember(view, i, body - i);
  return body;
}

/** `ip:port ` (IPv4 or IPv6): the index after the space, or -1. */
function clientAddress(b: Buffer, p: number, end: number): number {
  // A message starting with a letter is not a request line for the parser.
  if ((CLS[b[p]] & LETTER) !== 0) return -1;
  let i = p;
  let colon = -1;
  for (; i < end; i++) {
    const c = b[i];
    if ((CLS[c] & ADDR) === 0) break;
    if (c === COLON) colon = i;
  }
  if (b[i] !== SP || colon <= p || i - colon < 2 || i - colon > 6) return -1;
  let port = 0;
  for (let j = colon + 1; j < i; j++) {
    const d = b[j] - 48;
    if (d < 0 || d > 9) return -1;
    port = port * 10 + d;
  }
  return port <= 65535 ? i + 1 : -1;
}

/** `[dd/Mmm/yyyy:HH:MM:SS.mmm] `: the index after the space, or -1. `minute`: the part up to the minute seen before. */
function acceptDate(b: Buffer, view: DataView, p: number, end: number, minute: SameBytes): number {
  if (end - p < 27) return -1;
  if (!minute.at(view, p, end)) {
    if (b[p] !== 91 || b[p + 3] !== SLASH || b[p + 7] !== SLASH || b[p + 12] !== COLON || b[p + 15] !== COLON) return -1;
    const day = two(b, p + 1);
    const h = two(b, p + 13);
    const m = two(b, p + 16);
    if (day < 1 || day > 31 || !isMonth(b, p + 4) || two(b, p + 8) < 0 || two(b, p + 10) < 0 || h < 0 || h > 23 || m < 0 || m > 59) {
      return -1;
    }
    minute.remember(view, p, 18);
  }
  const s = two(b, p + 19);
  if (b[p + 18] !== COLON || s < 0 || s > 60) return -1;
  if (b[p + 21] !== 46 || (CLS[b[p + 22]] & CLS[b[p + 23]] & CLS[b[p + 24]] & DIGIT) === 0) return -1;
  return b[p + 25] === 93 && b[p + 26] === SP ? p + 27 : -1;
}

/** A token of printable ASCII from p: the index of the space after it, or -1. */
function token(b: Buffer, p: number, end: number): number {
  const cls = CLS;
  let i = p;
  while (i < end && (cls[b[i]] & TOKEN) !== 0) i++;
  return i > p && b[i] === SP ? i : -1;
}

/** Value of a number that is not one: malformed. */
const BAD = -2;
/** The index after the last number read by `unsigned` / `signed`. */
let at = 0;

/** 1 to 15 digits from i (before end): the value, or BAD; `at` is the index after them. */
function unsigned(b: Buffer, i: number, end: number): number {
  const first = i;
  let n = 0;
  for (; i < end; i++) {
    const d = b[i] - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  at = i;
  return i === first || i - first > 15 ? BAD : n;
}

/** A timer or status: `-1` or `unsigned`. */
function signed(b: Buffer, i: number, end: number): number {
  if (b[i] !== DASH) return unsigned(b, i, end);
  at = i + 2;
  return b[i + 1] === 49 /* 1 */ ? -1 : BAD;
}

interface ServerEntry {
  bytes: Buffer;
  tally: ServerTally;
  /** 0: a real server, 1: `<NOSRV>`, 2: another `<…>` or `-`. */
  kind: number;
  server: string;
}

/** The DataView LeanHttplog.take reads `b` through. */
export function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.length);
}

export class LeanHttplog {
  private readonly servers = new Map<number, ServerEntry>();
  /** conn_failure per (state code, server kind, Tc = -1): 1 true, 0 false. */
  private readonly failures = new Map<number, number>();
  private lastMemo = -1;
  private lastFailure = false;
  private readonly scratch = newEvent();
  private readonly syslogDate = new SameBytes();
  private readonly tag = new SameBytes();
  private readonly minute = new SameBytes();
  private readonly scratchTimers: HttpTimers = { TR: 0, Tw: 0, Tc: 0, Tr: 0, Ta: 0 };

  constructor(private builder: SummaryBuilder) {
    this.scratch.kind = 'http';
    this.scratch.timers = this.scratchTimers;
  }

  /**
   * Counts into `builder` from now on. The bytes remembered from earlier lines stay: a thread
   * reading one block of a file after another keeps them, and V8 does not meet the paths that
   * check them again as new code to recompile for.
   */
  countInto(builder: SummaryBuilder): void {
    this.builder = builder;
    this.servers.clear();
  }

  /**
   * Counts the line [start, end) of `b` and returns true, or returns false to leave it to the
   * parser. `view`: viewOf(b), made once per buffer by the caller (a branch here that only runs
   * for a new buffer would run too rarely for V8 to compile it well, and cost a recompilation).
   * `ascii`: the caller has checked that the line holds only ASCII and no NUL, which makes any
   * request text acceptable to the parser, so it is not looked at.
   */
  take(b: Buffer, view: DataView, start: number, end: number, ascii = false): boolean {
    let p = syslogPrefix(b, view, start, end, this.syslogDate, this.tag);
    if (p < 0) return false;
    p = clientAddress(b, p, end);
    if (p < 0) return false;
    p = acceptDate(b, view, p, end, this.minute);
    if (p < 0) return false;
    const feEnd = token(b, p, end);
    if (feEnd < 0) return false;
    // BACKEND/SERVER, hashed on the way for the server lookup
    const bsStart = feEnd + 1;
    const cls = CLS;
    let h = 0x811c9dc5;
    let bsEnd = bsStart;
    for (; bsEnd < end; bsEnd++) {
      const c = b[bsEnd];
      if ((cls[c] & TOKEN) === 0) break;
      h = Math.imul(h ^ c, 0x01000193);
    }
    if (bsEnd === bsStart || b[bsEnd] !== SP) return false;
    // TR/Tw/Tc/Tr/Ta status bytes
    if (signed(b, bsEnd + 1, end) === BAD || b[at] !== SLASH || signed(b, at + 1, end) === BAD || b[at] !== SLASH) return false;
    const tc = signed(b, at + 1, end);
    if (tc === BAD || b[at] !== SLASH) return false;
    const tr = signed(b, at + 1, end);
    if (tr === BAD || b[at] !== SLASH) return false;
    const ta = signed(b, at + 1, end);
    if (ta === BAD || b[at] !== SP) return false;
    const status = signed(b, at + 1, end);
    if (status === BAD || b[at] !== SP || unsigned(b, at + 1, end) === BAD || b[at] !== SP) return false;
    p = token(b, at + 1, end); // captured request cookie
    if (p < 0) return false;
    p = token(b, p + 1, end); // captured response cookie
    if (p < 0) return false;
    const state = p + 1;
    if (token(b, state, end) !== state + 4) return false;
    // actconn/feconn/beconn/srv_conn/retries srv_queue/backend_queue
    if (unsigned(b, state + 5, end) === BAD || b[at] !== SLASH || unsigned(b, at + 1, end) === BAD || b[at] !== SLASH ||
        unsigned(b, at + 1, end) === BAD || b[at] !== SLASH || unsigned(b, at + 1, end) === BAD || b[at] !== SLASH) {
      return false;
    }
    const retries = unsigned(b, at + 1, end);
    if (retries === BAD || b[at] !== SP || unsigned(b, at + 1, end) === BAD || b[at] !== SLASH ||
        unsigned(b, at + 1, end) === BAD || b[at] !== SP) {
      return false;
    }
    p = at + 1;
    if (b[p] !== QUOTE || end - p < 2 || b[end - 1] !== QUOTE) return false;
    if (!ascii) {
      for (let i = p + 1; i < end - 1; i++) if ((cls[b[i]] & TEXT) === 0) return false;
    }
    const server = this.server(b, bsStart, bsEnd, h & 0x3fffffff);
    if (server === null) return false;

    this.builder.events++;
    server.tally.request(status, tc, tr, ta, retries, this.connFailure(b, state, server, tc, status, tr));
    return true;
  }

  /** The entry of the `BACKEND/SERVER` bytes [start, end), by content; null when malformed. */
  /** `h`: a hash of the bytes within the small-integer range (a Map lookup by number is fast only there). */
  private server(b: Buffer, start: number, end: number, h: number): ServerEntry | null {
    const known = this.servers.get(h);
    if (known !== undefined) {
      const bytes = known.bytes;
      if (bytes.length !== end - start) return null;
      for (let i = 0; i < bytes.length; i++) if (bytes[i] !== b[start + i]) return null;
      return known;
    }
    const slash = b.indexOf(SLASH, start);
    if (slash <= start || slash >= end - 1) return null;
    const bytes = Buffer.from(b.subarray(start, end));
    const key = bytes.toString('latin1');
    const server = key.slice(slash - start + 1);
    const kind = server === '<NOSRV>' ? 1 : server.startsWith('<') || server === '-' ? 2 : 0;
    const entry = { bytes, tally: this.builder.server(key), kind, server };
    this.servers.set(h, entry);
    return entry;
  }

  /** The parser's classification of the line, memoised: it depends on the state, the server and Tc = -1 only. */
  private connFailure(b: Buffer, state: number, server: ServerEntry, tc: number, status: number, tr: number): boolean {
    // Printable ASCII: 7 bits per character, 28 bits, times 8 for the flags: within a small integer.
    const code = (b[state] << 21) | (b[state + 1] << 14) | (b[state + 2] << 7) | b[state + 3];
    const memo = code * 8 + server.kind * 2 + (tc === -1 ? 1 : 0);
    if (memo === this.lastMemo) return this.lastFailure;
    let known = this.failures.get(memo);
    if (known === undefined) known = this.classify(b, state, server, memo, tc, status, tr);
    this.lastMemo = memo;
    this.lastFailure = known === 1;
    return this.lastFailure;
  }

  private classify(b: Buffer, state: number, server: ServerEntry, memo: number, tc: number, status: number, tr: number): number {
    const ev = this.scratch;
    ev.server = server.server;
    ev.termination_state = b.toString('latin1', state, state + 4);
    ev.status = status;
    this.scratchTimers.Tc = tc;
    this.scratchTimers.Tr = tr;
    classify(ev);
    const failure = ev.conn_failure ? 1 : 0;
    this.failures.set(memo, failure);
    return failure;
  }
}
