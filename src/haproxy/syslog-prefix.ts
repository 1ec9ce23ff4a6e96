import { isRfc3164At } from './dates.js';
import { sameText } from './fields.js';

/**
 * The syslog envelope in front of an HAProxy message. HAProxy and syslog daemons write:
 *   RFC 3164   `Feb  6 12:14:14 host haproxy[14389]: MSG` (day space- or zero-padded; host may be
 *              `-`, an IP, a short name or an FQDN, or absent: HAProxy's own `local` format)
 *   PRI        `<133>` before any of these
 *   RFC 5424   `<134>1 2024-01-01T10:00:00.123Z host haproxy 1234 - - MSG`
 *   ISO-8601   `2021-12-15T16:55:18+01:00 host haproxy[20560]: MSG`
 *   tag only   `haproxy[674]: MSG`, `haproxy: MSG`
 *   bare       `MSG`
 */
export interface Prefix {
  host: string | null;
  program: string | null;
  pid: number | null;
  /** 0: no syslog date, 1: RFC 3164 date at datePos, 2: ISO date in [datePos, dateEnd). */
  dateKind: 0 | 1 | 2;
  datePos: number;
  dateEnd: number;
  /** Index of the first character of the HAProxy message. */
  body: number;
  /** The previous line's host and tag (`haproxy[1]: `), reused when the next line repeats them. */
  lastHost: string | null;
  lastTag: string;
  lastProgram: string | null;
  lastPid: number | null;
  /** Recent texts between an RFC 3164 date and the message, with their reading (see readHostTag). */
  hostTags: HostTag[];
  /** Next hostTags slot to overwrite once it is full. */
  nextHostTag: number;
}

/** ` lb1 haproxy[7]: `: what follows an RFC 3164 date up to the message, and what it says. */
interface HostTag {
  text: string;
  host: string | null;
  program: string | null;
  pid: number | null;
}

/** Hosts a file interleaves (a syslog server receiving from several load balancers). */
const HOST_TAGS = 8;

export function newPrefix(): Prefix {
  return {
    host: null, program: null, pid: null, dateKind: 0, datePos: 0, dateEnd: 0, body: 0,
    lastHost: null, lastTag: '', lastProgram: null, lastPid: null, hostTags: [], nextHostTag: 0,
  };
}

/**
 * The message start after an RFC 3164 date ending at `at` when the text there repeats one seen
 * before (same host and tag), with host/program/pid set; -1 otherwise. Reading host and tag
 * looks at nothing outside that text, so the same text gives the same reading.
 */
function knownHostTag(line: string, at: number, p: Prefix): number {
  const tags = p.hostTags;
  for (let i = 0; i < tags.length; i++) {
    const t = tags[i];
    if (line.startsWith(t.text, at)) {
      p.host = t.host;
      p.program = t.program;
      p.pid = t.pid;
      return at + t.text.length;
    }
  }
  return -1;
}

function rememberHostTag(line: string, at: number, p: Prefix): void {
  const entry: HostTag = { text: line.slice(at, p.body), host: p.host, program: p.program, pid: p.pid };
  if (p.hostTags.length < HOST_TAGS) p.hostTags.push(entry);
  else {
    p.hostTags[p.nextHostTag] = entry;
    p.nextHostTag = (p.nextHostTag + 1) % HOST_TAGS;
  }
}

/** Message starts that must not be taken for a hostname when they follow the date directly. */
const MESSAGE_WORDS = ['Connect', 'Server', 'Proxy', 'Health', 'Agent', 'Stopping', 'Pausing', 'Resuming', 'backend', 'Backup'];

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * A syslog tag `name[pid]:` or `name:` at pos, followed by a space or the end. Returns the index
 * after the tag and its space, or -1. Sets program / pid on a match.
 */
function readTag(line: string, pos: number, p: Prefix): number {
  const tag = p.lastTag;
  if (tag !== '' && line.startsWith(tag, pos)) {
    p.program = p.lastProgram;
    p.pid = p.lastPid;
    return pos + p.lastTag.length;
  }
  if (!isLetter(line.charCodeAt(pos))) return -1;
  let i = pos + 1;
  const n = line.length;
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (isLetter(c) || isDigit(c) || c === 95 || c === 45 || c === 46 || c === 47) continue;
    break;
  }
  const nameEnd = i;
  let pid: number | null = null;
  if (line.charCodeAt(i) === 91 /* [ */) {
    let v = 0;
    let j = i + 1;
    for (; j < n && isDigit(line.charCodeAt(j)); j++) v = v * 10 + line.charCodeAt(j) - 48;
    if (j === i + 1 || j - i > 11 || line.charCodeAt(j) !== 93 /* ] */) return -1;
    pid = v;
    i = j + 1;
  }
  if (line.charCodeAt(i) !== 58 /* : */) return -1;
  i++;
  if (i < n) {
    if (line.charCodeAt(i) !== 32) return -1;
    i++;
  }
  p.program = reuse(p.lastProgram, line, pos, nameEnd);
  p.pid = pid;
  // Every line of a file repeats the tag: remember it whole for a one-comparison match.
  if (line.charCodeAt(i - 1) === 32) {
    p.lastTag = line.slice(pos, i);
    p.lastProgram = p.program;
    p.lastPid = pid;
  }
  return i;
}

function tokenEnd(line: string, pos: number): number {
  const sp = line.indexOf(' ', pos);
  return sp < 0 ? line.length : sp;
}

/** Fills `p` from the start of `line`. Never fails: an unrecognised start is a bare message. */
export function readPrefix(line: string, p: Prefix): void {
  p.host = null;
  p.program = null;
  p.pid = null;
  p.dateKind = 0;
  p.body = 0;
  let pos = 0;

  if (line.charCodeAt(0) === 60 /* < */) {
    let j = 1;
    while (j < 5 && isDigit(line.charCodeAt(j))) j++;
    if (j > 1 && line.charCodeAt(j) === 62 /* > */) {
      pos = j + 1;
      if (line.charCodeAt(pos) === 49 /* 1 */ && line.charCodeAt(pos + 1) === 32) {
        readRfc5424(line, pos + 2, p);
        return;
      }
    }
  }

  let dated = false;
  const c = line.charCodeAt(pos);
  if (isLetter(c) && isRfc3164At(line, pos)) {
    p.dateKind = 1;
    p.datePos = pos;
    const known = knownHostTag(line, pos + 15, p);
    if (known >= 0) {
      p.body = known;
      return;
    }
    pos += 16;
    dated = true;
  } else if (isDigit(c) && line.charCodeAt(pos + 4) === 45 && line.charCodeAt(pos + 10) === 84) {
    const end = tokenEnd(line, pos);
    p.dateKind = 2;
    p.datePos = pos;
    p.dateEnd = end;
    pos = end + 1;
    dated = true;
  }

  if (dated) {
    const end = tokenEnd(line, pos);
    // A token ending in ':' is the tag (no hostname: HAProxy's `local` format); else a host.
    if (line.charCodeAt(end - 1) === 58) {
      const afterTag = readTag(line, pos, p);
      if (afterTag >= 0) {
        p.body = afterTag;
        if (p.dateKind === 1 && line.charCodeAt(afterTag - 1) === 32) rememberHostTag(line, p.datePos + 15, p);
        return;
      }
    }
    if (end < line.length && !looksLikeMessageStart(line, pos, end)) {
      if (end === pos + 1 && line.charCodeAt(pos) === 45) p.host = null;
      else p.lastHost = p.host = reuse(p.lastHost, line, pos, end);
      pos = end + 1;
      const tagged = readTag(line, pos, p);
      p.body = tagged >= 0 ? tagged : pos;
      // Without a tag the reading depended on what follows: not remembered.
      if (tagged >= 0 && p.dateKind === 1 && line.charCodeAt(tagged - 1) === 32) rememberHostTag(line, p.datePos + 15, p);
      return;
    }
    p.body = pos;
    return;
  }

  const tagged = readTag(line, pos, p);
  p.body = tagged >= 0 ? tagged : pos;
}

/** `ip:port [` (a request line) or a known HAProxy message word right after the date. */
function looksLikeMessageStart(line: string, pos: number, end: number): boolean {
  if (line.charCodeAt(end + 1) === 91 /* [ */ && isDigit(line.charCodeAt(end + 2))) return true;
  const c = line.charCodeAt(pos);
  // Every message word starts with an upper-case letter or 'b' ("backend … has no server").
  if (!((c >= 65 && c <= 90) || c === 98)) return false;
  for (const word of MESSAGE_WORDS) {
    if (word.length === end - pos && line.startsWith(word, pos)) return true;
  }
  return false;
}

/** Slices [pos, end) reusing the previous string when it is the same text (hosts, tags repeat). */
function reuse(previous: string | null, line: string, pos: number, end: number): string {
  if (previous !== null && previous.length === end - pos && sameText(line, pos, previous)) return previous;
  return line.slice(pos, end);
}

/** `TIMESTAMP HOST APP PROCID MSGID SD MSG` after `<PRI>1 `. */
function readRfc5424(line: string, pos: number, p: Prefix): void {
  const tsEnd = tokenEnd(line, pos);
  if (!(tsEnd === pos + 1 && line.charCodeAt(pos) === 45)) {
    p.dateKind = 2;
    p.datePos = pos;
    p.dateEnd = tsEnd;
  }
  pos = tsEnd + 1;
  const hostEnd = tokenEnd(line, pos);
  p.host = nil(line, pos, hostEnd);
  pos = hostEnd + 1;
  const appEnd = tokenEnd(line, pos);
  p.program = nil(line, pos, appEnd);
  pos = appEnd + 1;
  const pidEnd = tokenEnd(line, pos);
  const pidText = line.slice(pos, pidEnd);
  p.pid = /^\d{1,10}$/.test(pidText) ? Number(pidText) : null;
  pos = pidEnd + 1;
  pos = tokenEnd(line, pos) + 1; // MSGID
  if (line.charCodeAt(pos) === 91 /* [ */) {
    // Structured data: one or more [id k="v" …] elements; '\]' escapes inside values.
    while (pos < line.length && line.charCodeAt(pos) === 91) {
      let j = pos + 1;
      let quoted = false;
      for (; j < line.length; j++) {
        const ch = line.charCodeAt(j);
        if (ch === 92 /* \ */) j++;
        else if (ch === 34) quoted = !quoted;
        else if (ch === 93 && !quoted) break;
      }
      pos = j + 1;
    }
    if (line.charCodeAt(pos) === 32) pos++;
  } else {
    pos = tokenEnd(line, pos) + 1; // "-"
  }
  if (line.charCodeAt(pos) === 0xfeff) pos++; // BOM before a UTF-8 MSG
  p.body = Math.min(pos, line.length);
}

function nil(line: string, pos: number, end: number): string | null {
  return end === pos + 1 && line.charCodeAt(pos) === 45 ? null : end > pos ? line.slice(pos, end) : null;
}
