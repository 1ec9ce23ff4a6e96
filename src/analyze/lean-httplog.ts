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

function isMonth(b: Buffer, p: number): boolean {
  return MONTH_CODES.has((b[p] << 16) | (b[p + 1] << 8) | b[p + 2]);
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

/** `Mmm dd HH:MM:SS host tag[pid]: `: the index of the message, or -1. */
function syslogPrefix(b: Buffer, p: number, end: number): number {
  if (end - p < 20 || !isMonth(b, p) || b[p + 3] !== SP || b[p + 6] !== SP || b[p + 15] !== SP) return -1;
  const d1 = b[p + 4];
  const d2 = b[p + 5] - 48;
  if (d2 < 0 || d2 > 9 || !(d1 === SP || (CLS[d1] & DIGIT) !== 0)) return -1;
  const day = (d1 === SP ? 0 : d1 - 48) * 10 + d2;
  if (day < 1 || day > 31 || !clock(b, p + 7)) return -1;
  let i = p + 16;
  // A host the parser could read otherwise is left to it: one ending in ':' (a tag), one
  // starting with an upper-case letter or 'b' (a message word: "Server", "backend" …).
  const h = b[i];
  if (h === 98 || (h >= 65 && h <= 90)) return -1;
  while (i < end && (CLS[b[i]] & HOST) !== 0) i++;
  if (i === p + 16 || b[i] !== SP || b[i - 1] === COLON || (CLS[b[i + 1]] & LETTER) === 0) return -1;
  i += 2;
  while (i < end && (CLS[b[i]] & TAG) !== 0) i++;
  if (b[i] === 91 /* [ */) {
    const pidStart = ++i;
    while (i < end && (CLS[b[i]] & DIGIT) !== 0) i++;
    if (i === pidStart || i - pidStart > 10 || b[i] !== 93 /* ] */) return -1;
    i++;
  }
  return b[i] === COLON && b[i + 1] === SP ? i + 2 : -1;
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

/** `[dd/Mmm/yyyy:HH:MM:SS.mmm] `: the index after the space, or -1. */
function acceptDate(b: Buffer, p: number, end: number): number {
  if (end - p < 27 || b[p] !== 91 || b[p + 3] !== SLASH || b[p + 7] !== SLASH || b[p + 12] !== COLON) return -1;
  const day = two(b, p + 1);
  if (day < 1 || day > 31 || !isMonth(b, p + 4) || two(b, p + 8) < 0 || two(b, p + 10) < 0 || !clock(b, p + 13)) return -1;
  if (b[p + 21] !== 46 || (CLS[b[p + 22]] & CLS[b[p + 23]] & CLS[b[p + 24]] & DIGIT) === 0) return -1;
  return b[p + 25] === 93 && b[p + 26] === SP ? p + 27 : -1;
}

/** A token of printable ASCII from p: the index of the space after it, or -1. */
function token(b: Buffer, p: number, end: number): number {
  let i = p;
  while (i < end && (CLS[b[i]] & TOKEN) !== 0) i++;
  return i > p && b[i] === SP ? i : -1;
}

interface ServerEntry {
  bytes: Buffer;
  tally: ServerTally;
  /** 0: a real server, 1: `<NOSRV>`, 2: another `<…>` or `-`. */
  kind: number;
  server: string;
}

export class LeanHttplog {
  private readonly servers = new Map<number, ServerEntry>();
  /** conn_failure per (state code, server kind, Tc = -1): 1 true, 0 false. */
  private readonly failures = new Map<number, number>();
  /** The numbers of the current line: TR Tw Tc Tr Ta status bytes act fe be srv retries sq bq. */
  private readonly v = new Float64Array(14);
  private pos = 0;
  private lastMemo = -1;
  private lastFailure = false;
  private readonly scratch = newEvent();
  private readonly scratchTimers: HttpTimers = { TR: 0, Tw: 0, Tc: 0, Tr: 0, Ta: 0 };

  constructor(private readonly builder: SummaryBuilder) {
    this.scratch.kind = 'http';
    this.scratch.timers = this.scratchTimers;
  }

  /** Counts the line [start, end) of `b` and returns true, or returns false to leave it to the parser. */
  take(b: Buffer, start: number, end: number): boolean {
    let p = syslogPrefix(b, start, end);
    if (p < 0) return false;
    p = clientAddress(b, p, end);
    if (p < 0) return false;
    p = acceptDate(b, p, end);
    if (p < 0) return false;
    const feEnd = token(b, p, end);
    if (feEnd < 0) return false;
    const bsStart = feEnd + 1;
    const bsEnd = token(b, bsStart, end);
    if (bsEnd < 0) return false;
    if (!this.numbers(b, bsEnd + 1, end, 0, 5, true) || !this.numbers(b, this.pos, end, 5, 6, true) ||
        !this.numbers(b, this.pos, end, 6, 7, false)) {
      return false;
    }
    p = token(b, this.pos, end); // captured request cookie
    if (p < 0) return false;
    p = token(b, p + 1, end); // captured response cookie
    if (p < 0) return false;
    const state = p + 1;
    if (token(b, state, end) !== state + 4) return false;
    if (!this.numbers(b, state + 5, end, 7, 12, false) || !this.numbers(b, this.pos, end, 12, 14, false)) return false;
    p = this.pos;
    if (b[p] !== QUOTE || end - p < 2 || b[end - 1] !== QUOTE) return false;
    for (let i = p + 1; i < end - 1; i++) if ((CLS[b[i]] & TEXT) === 0) return false;
    const server = this.server(b, bsStart, bsEnd);
    if (server === null) return false;

    const v = this.v;
    this.builder.events++;
    server.tally.request(v[5], v[2], v[3], v[4], v[11], this.connFailure(b, state, server, v[2] === -1));
    return true;
  }

  /** Reads numbers into v[from..to) from p, separated by '/', the last followed by a space. */
  private numbers(b: Buffer, p: number, end: number, from: number, to: number, signed: boolean): boolean {
    const v = this.v;
    let i = p;
    for (let k = from; k < to; k++) {
      if (signed && b[i] === DASH) {
        if (b[i + 1] !== 49 /* 1 */) return false;
        v[k] = -1;
        i += 2;
      } else {
        const first = i;
        let n = 0;
        for (; i < end; i++) {
          const d = b[i] - 48;
          if (d < 0 || d > 9) break;
          n = n * 10 + d;
        }
        if (i === first || i - first > 15) return false;
        v[k] = n;
      }
      if (b[i] !== (k === to - 1 ? SP : SLASH)) return false;
      i++;
    }
    this.pos = i;
    return true;
  }

  /** The entry of the `BACKEND/SERVER` bytes [start, end), by content; null when malformed. */
  private server(b: Buffer, start: number, end: number): ServerEntry | null {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
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
  private connFailure(b: Buffer, state: number, server: ServerEntry, tcUnset: boolean): boolean {
    // Printable ASCII: 7 bits per character, 28 bits, times 8 for the flags: within a small integer.
    const code = (b[state] << 21) | (b[state + 1] << 14) | (b[state + 2] << 7) | b[state + 3];
    const memo = code * 8 + server.kind * 2 + (tcUnset ? 1 : 0);
    if (memo === this.lastMemo) return this.lastFailure;
    let known = this.failures.get(memo);
    if (known === undefined) known = this.classify(b, state, server, memo);
    this.lastMemo = memo;
    this.lastFailure = known === 1;
    return this.lastFailure;
  }

  private classify(b: Buffer, state: number, server: ServerEntry, memo: number): number {
    const ev = this.scratch;
    ev.server = server.server;
    ev.termination_state = b.toString('latin1', state, state + 4);
    ev.status = this.v[5];
    this.scratchTimers.Tc = this.v[2];
    this.scratchTimers.Tr = this.v[3];
    classify(ev);
    const failure = ev.conn_failure ? 1 : 0;
    this.failures.set(memo, failure);
    return failure;
  }
}
