import type { HaproxyEvent, ParseResult } from './event.js';
import { Clock } from './clock.js';
import { acceptDateReader, isoDate, rfc3164Date, zonedDate } from './dates.js';
import { classify } from './classify.js';
import { fastRequestLine } from './fast-path.js';
import { builtinFormat, type BuiltinFormatName } from './formats.js';
import { type BodyContext, type CompiledFormat, compileLogFormat, type DateState } from './log-format.js';
import { parseConnectionError, parseLegacy, parseStatus } from './messages.js';
import { newEvent } from './new-event.js';
import { newPrefix, readPrefix } from './syslog-prefix.js';

/** `--format`: a built-in name or an HAProxy log-format string. */
export type FormatOption = 'auto' | 'http' | 'tcp' | 'clf' | 'https' | (string & {});

export interface ParserOptions {
  format?: FormatOption;
  /** IANA zone the HAProxy box writes its dates in; default UTC. */
  timezone?: string;
}

/**
 * HAProxy's longest log line is bounded by the log target's `len` (at most 65535); anything
 * far beyond is not a log line.
 */
export const MAX_LINE_LENGTH = 128 * 1024;

/** Option names → built-in formats tried in order (after the fast path where it applies). */
const FORMAT_NAMES: Record<string, BuiltinFormatName[]> = {
  http: ['httplog'],
  httplog: ['httplog'],
  tcp: ['tcplog'],
  tcplog: ['tcplog'],
  https: ['httpslog'],
  httpslog: ['httpslog'],
  clf: ['httplog-clf', 'tcplog-clf'],
  'httplog-clf': ['httplog-clf'],
  'tcplog-clf': ['tcplog-clf'],
  'error-log': ['error-log'],
};

/** Formats seen in the wild that auto mode also recognises (compiled like any custom format). */
const AUTO_VARIANTS: Record<string, string> = {
  // Filebeat's test logs: the Host header logged between the server and the timers.
  'httplog-host':
    '%ci:%cp [%tr] %ft %b/%s %(request_host)[req.hdr(host)] %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r',
  // HAProxy's own OCSP update report (crt-store ocsp-update).
  'ocsp-update':
    '<OCSP-UPDATE> %(certificate)[ssl_ocsp_certname] %(ocsp_status)[ssl_ocsp_status] %{+Q}[ssl_ocsp_status_str] %(failures)[ssl_ocsp_fail_cnt] %(successes)[ssl_ocsp_success_cnt]',
};

let autoVariants: Map<string, CompiledFormat> | null = null;
function variant(name: string): CompiledFormat {
  if (autoVariants === null) {
    autoVariants = new Map(Object.entries(AUTO_VARIANTS).map(([n, f]) => [n, compileLogFormat(f, n)]));
  }
  return autoVariants.get(name)!;
}

/** Names accepted by `--format` besides a log-format string. */
export const FORMAT_OPTION_NAMES = ['auto', ...Object.keys(FORMAT_NAMES)];

type Body = (line: string, pos: number, ev: HaproxyEvent) => string | null;

function reject(reason: string, raw: string): ParseResult {
  return { ok: false, reject: { reason, raw } };
}

/**
 * Builds a line parser. Never throws on input: bad lines come back as rejects. Throws on bad
 * options (an unknown format name, a log-format string that does not compile, an unknown zone).
 */
export function createParser(options: ParserOptions = {}): (line: string) => ParseResult {
  const clock = new Clock(options.timezone ?? 'UTC');
  const prefix = newPrefix();
  const date: DateState = { ms: Number.NaN, millis: -1 };
  const ctx: BodyContext = {
    date,
    acceptDate: acceptDateReader(clock),
    zonedDate,
  };
  const body = bodyParser(options.format ?? 'auto', ctx);
  /** Reference instant for year-less syslog dates: the last accept date seen, else now. */
  let referenceMs = Date.now();

  function parse(input: string): ParseResult {
    if (typeof input !== 'string') return reject('not a string', String(input));
    let len = input.length;
    while (len > 0) {
      const c = input.charCodeAt(len - 1);
      if (c !== 10 && c !== 13) break;
      len--;
    }
    const line = len === input.length ? input : input.slice(0, len);
    if (len === 0) return reject('empty line', input);
    if (len > MAX_LINE_LENGTH) return reject(`line too long (${len} characters, limit ${MAX_LINE_LENGTH})`, input);
    // HAProxy escapes non-printable bytes in what it logs: a NUL or a replacement character
    // (invalid UTF-8 in the file) means the line is not what HAProxy wrote.
    const bad = line.indexOf('\uFFFD');
    if (bad >= 0) return reject(`invalid UTF-8 at column ${bad + 1}`, input);
    const nul = line.indexOf('\0');
    if (nul >= 0) return reject(`NUL byte at column ${nul + 1}`, input);
    readPrefix(line, prefix);
    if (prefix.body >= len) return reject('no message after the syslog prefix', input);
    const ev = newEvent();
    date.ms = Number.NaN;
    date.millis = -1;
    const err = body(line, prefix.body, ev);
    if (err !== null) return reject(err, input);
    ev.host = prefix.host;
    ev.program = prefix.program;
    if (prefix.pid !== null || ev.pid === null) ev.pid = prefix.pid;

    let ms = date.ms;
    if (ms === ms) {
      if (date.millis >= 0) ms += date.millis;
      referenceMs = ms;
    } else if (prefix.dateKind === 1) {
      ms = rfc3164Date(line, prefix.datePos, clock, referenceMs);
    } else if (prefix.dateKind === 2) {
      ms = isoDate(line, prefix.datePos, prefix.dateEnd, clock);
    }
    // A line with no date at all is stamped with the time it was read.
    ev.timestamp = clock.iso(ms === ms ? ms : Date.now());
    if (ev.timestamp === '') return reject('date out of range', input);
    if (ev.kind === 'http' || ev.kind === 'tcp' || ev.kind === 'custom') classify(ev);
    return { ok: true, event: ev };
  }

  return (input) => {
    try {
      return parse(input);
    } catch (err) {
      // Defensive: a parser bug must cost one line, never the stream.
      return reject(`internal parser error: ${(err as Error)?.message ?? String(err)}`, String(input));
    }
  };
}

/** The message parser for a `--format` option. */
function bodyParser(format: string, ctx: BodyContext): Body {
  if (format === 'auto') return autoBody(ctx);
  const names = FORMAT_NAMES[format];
  if (names === undefined && !format.includes('%')) {
    throw new Error(`unknown format "${format}": use ${FORMAT_OPTION_NAMES.join(', ')} or an HAProxy log-format string`);
  }
  const formats = names === undefined ? [compileLogFormat(format, 'custom')] : names.map(builtinFormat);
  const useFast = names !== undefined && (names[0] === 'httplog' || names[0] === 'tcplog');
  return (line, pos, ev) => {
    let first: string | null = null;
    if (useFast) {
      first = fastRequestLine(line, pos, ev, ctx);
      if (first === null && ev.format === names![0]) return null;
      first ??= `expected ${names![0]}, found ${ev.format}`;
    } else {
      for (const f of formats) {
        const err = f.parse(line, pos, ev, ctx);
        if (err === null) return null;
        first ??= `${f.name}: ${err}`;
        reset(ev, ctx);
      }
    }
    reset(ev, ctx);
    const message = nonRequestMessage(line, pos, ev, ctx);
    return message === undefined ? first : message;
  };
}

const STDERR_LEVEL = /^\[(EMERG|ALERT|CRIT|ERR|ERROR|WARNING|NOTICE|INFO|DEBUG)\] +\((\d{1,10})\) : /;

/** Lines HAProxy writes whatever the log format: legacy connects, connection errors, status lines. */
function nonRequestMessage(line: string, pos: number, ev: HaproxyEvent, ctx: BodyContext): string | null | undefined {
  const c = line.charCodeAt(pos);
  if (c === 91 /* [ */) {
    // HAProxy's stderr/journal messages: "[WARNING]  (1234) : Server be/s is DOWN, …".
    const m = STDERR_LEVEL.exec(line.slice(pos, pos + 40));
    if (m !== null) {
      pos += m[0].length;
      if (ev.pid === null) ev.pid = Number(m[2]);
      const status = parseStatus(line, pos, ev);
      ev.extra = { ...(ev.extra ?? {}), level: m[1] };
      if (status !== undefined) return status;
      // Any other process message ("haproxy version is …", config warnings) is kept as text.
      ev.kind = 'proxy';
      ev.format = 'status';
      ev.message = line.slice(pos);
      return null;
    }
  }
  if (c === 67 && line.startsWith('Connect from ', pos)) return parseLegacy(line, pos, ev);
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
    const status = parseStatus(line, pos, ev);
    if (status !== undefined) return status;
  }
  if (c === 60 && line.startsWith('<OCSP-UPDATE> ', pos)) return variant('ocsp-update').parse(line, pos, ev, ctx);
  return parseConnectionError(line, pos, ev, ctx);
}

/** Clears what a failed attempt may have filled in (the prefix fields are set afterwards). */
function reset(ev: HaproxyEvent, ctx: BodyContext): void {
  Object.assign(ev, newEvent());
  ctx.date.ms = Number.NaN;
  ctx.date.millis = -1;
}

const TLS_VERSION = /^(?:TLS|SSL)v[\d.]+$/;

/**
 * Auto detection: the hand-tuned httplog/tcplog reader first (the common case, one pass), then
 * HAProxy's other messages, then the remaining built-in formats and known variants.
 */
function autoBody(ctx: BodyContext): Body {
  return (line, pos, ev) => {
    // Request lines start with "address:port [" (the address may be IPv6 hex: "fe80::1").
    const sp = line.indexOf(' ', pos);
    const requestLike = sp > pos && line.charCodeAt(sp + 1) === 91;
    let first: string | null = null;
    if (requestLike) {
      first = fastRequestLine(line, pos, ev, ctx);
      if (first === null) return null;
      reset(ev, ctx);
    }
    const message = nonRequestMessage(line, pos, ev, ctx);
    if (message !== undefined) return message;
    const c = line.charCodeAt(pos);
    if (!requestLike && ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 60 || c === 91)) {
      return 'not an HAProxy log line: unrecognised message';
    }
    reset(ev, ctx);

    const candidates: CompiledFormat[] = sp >= 0 && line.startsWith(' - - [', sp)
      ? [builtinFormat('httplog-clf'), builtinFormat('tcplog-clf')]
      : [builtinFormat('httpslog'), variant('httplog-host'), builtinFormat('error-log')];
    for (const f of candidates) {
      if (f.parse(line, pos, ev, ctx) === null) return null;
      reset(ev, ctx);
    }
    if (withTrailingFields(line, pos, ev, ctx)) return null;
    reset(ev, ctx);
    return `not a known HAProxy format (httplog: ${first})`;
  };
}

/**
 * httplog followed by fields the format does not know (users often append %ID, TLS details …):
 * the request line is cut at its closing quote, the rest kept in `extra.trailing`, with a
 * leading TLS version and cipher mapped to ssl_version / ssl_ciphers.
 */
function withTrailingFields(line: string, pos: number, ev: HaproxyEvent, ctx: BodyContext): boolean {
  const open = line.indexOf('"', pos);
  if (open < 0) return false;
  const close = line.indexOf('" ', open + 1);
  if (close < 0) return false;
  if (fastRequestLine(line.slice(0, close + 1), pos, ev, ctx) !== null || ev.kind !== 'http') return false;
  ev.format = 'httplog+trailing';
  const tokens = line.slice(close + 2).split(' ');
  let i = 0;
  if (TLS_VERSION.test(tokens[0])) {
    ev.ssl_version = tokens[i++];
    if (i < tokens.length && /^[A-Za-z0-9_-]+$/.test(tokens[i])) ev.ssl_ciphers = tokens[i++];
  }
  if (i < tokens.length) ev.extra = { trailing: tokens.slice(i).join(' ') };
  return true;
}

