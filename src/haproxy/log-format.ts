import type { EventKind, HaproxyEvent } from './event.js';
import { type FormatItem, tokenizeLogFormat } from './log-format-syntax.js';
import { hexAt, hexIp, intAt, ipText, lastColon, portAt, splitCaptures, splitRequest, unescapeHash, type RequestParts } from './fields.js';

/**
 * Compiles an HAProxy log-format string into a parser of the message part of a line (after the
 * syslog prefix). The built-in formats (option httplog, tcplog, httpslog, clf …) are compiled
 * from the manual's own strings by this same code (formats.ts).
 *
 * Matching is left to right: each variable ends where the next literal text or separator
 * starts, except fixed-width ones (%ts, %tsc, %ms), quoted ones (Q flag), `{…}` header captures
 * (absent when nothing is captured), and addresses followed by ':' (split on the last colon,
 * for IPv6).
 */

/** Per-line date state while a body is parsed. */
export interface DateState {
  /** UTC epoch ms of the date fields found, NaN when none. */
  ms: number;
  /** %ms, added to a seconds-only date; -1 when not logged. */
  millis: number;
}

export interface BodyContext {
  date: DateState;
  /** Wall-clock date reader of the configured timezone (`06/Feb/2009:12:14:14.655`). */
  acceptDate(line: string, s: number, e: number): number;
  zonedDate(line: string, s: number, e: number): number;
}

/** Parses the message part [pos, line.length) into ev; returns null on success, else the reject reason. */
export type BodyParser = (line: string, pos: number, ev: HaproxyEvent, ctx: BodyContext) => string | null;

export interface CompiledFormat {
  name: string;
  kind: EventKind;
  /** Timer names the format logs, in order (the event's `timers` keys). */
  timers: string[];
  parse: BodyParser;
}

type Setter = (ev: HaproxyEvent, line: string, s: number, e: number, ctx: BodyContext) => string | null;

/** How a variable's text is delimited. */
const enum Shape {
  Plain,
  Fixed,
  Captures,
  CaptureList,
  Address,
}

interface Step {
  kind: 'text' | 'sep' | 'var';
  text: string;
  label: string;
  shape: Shape;
  width: number;
  quote: boolean;
  /** The value may contain spaces (dates with a zone: `06/Feb/2009:12:14:14 +0000`). */
  spaces: boolean;
  set: Setter | null;
}

const TIMERS = new Set(['Ta', 'Tc', 'Td', 'Th', 'Ti', 'Tq', 'TR', 'Tr', 'Tt', 'Tu', 'Tw']);
const HTTP_ALIASES = new Set(['r', 'ST', 'HM', 'HU', 'HP', 'HPO', 'HQ', 'HV', 'TR', 'Ta', 'Tr', 'tsc', 'hr', 'hs', 'hrl', 'hsl', 'CC', 'CS']);
const ZONED_DATES = new Set(['T', 'Tl', 'trg', 'trl']);
const ADDRESS_ALIASES = new Set(['ci', 'fi', 'bi', 'si']);

const scratchRequest: RequestParts = { method: null, uri: null, http_version: null };

function setExtra(ev: HaproxyEvent, key: string, value: string): void {
  if (ev.extra === null) ev.extra = {};
  ev.extra[key] = value;
}

function intSetter(assign: (ev: HaproxyEvent, v: number) => void, what: string, logasap: string | null, hex: boolean): Setter {
  return (ev, line, s, e) => {
    const v = hex ? hexAt(line, s, e) : intAt(line, s, e);
    if (v !== v) return `bad ${what} "${line.slice(s, Math.min(e, s + 40))}"`;
    if (logasap !== null && line.charCodeAt(s) === 43) ev.logasap.push(logasap);
    assign(ev, v);
    return null;
  };
}

function nullableText(line: string, s: number, e: number): string | null {
  return e === s + 1 && line.charCodeAt(s) === 45 ? null : line.slice(s, e);
}

function extraSetter(key: string): Setter {
  return (ev, line, s, e) => {
    setExtra(ev, key, line.slice(s, e));
    return null;
  };
}

function timerSetter(name: string, hex: boolean): Setter {
  const logasap = name === 'Ta' || name === 'Tt' ? name : null;
  return intSetter((ev, v) => {
    (ev.timers as Record<string, number>)[name] = v;
  }, `timer ${name}`, logasap, hex);
}

/** The setter of one alias; the item's flags matter for X (hex) only. */
function aliasSetter(alias: string, hex: boolean, name: string | null): Setter {
  if (TIMERS.has(alias)) return timerSetter(alias, hex);
  switch (alias) {
    case 'ci':
      return (ev, line, s, e) => {
        const ip = ipText(line, s, e);
        ev.client_ip = ip !== null && hex ? hexIp(ip) : ip;
        return null;
      };
    case 'cp':
      return (ev, line, s, e) => {
        const v = hex ? hexAt(line, s, e) : portAt(line, s, e);
        if (v !== null && v !== v) return `bad client port "${line.slice(s, Math.min(e, s + 40))}"`;
        ev.client_port = v;
        return null;
      };
    case 'fi': case 'bi': case 'si': {
      const key = alias === 'fi' ? 'frontend_ip' : alias === 'bi' ? 'backend_source_ip' : 'server_ip';
      return (ev, line, s, e) => {
        const ip = ipText(line, s, e);
        if (ip !== null) setExtra(ev, key, hex ? hexIp(ip) : ip);
        return null;
      };
    }
    case 'fp': case 'bp': case 'sp': {
      const key = alias === 'fp' ? 'frontend_port' : alias === 'bp' ? 'backend_source_port' : 'server_port';
      return (ev, line, s, e) => {
        const v = hex ? hexAt(line, s, e) : portAt(line, s, e);
        if (v !== null && v !== v) return `bad ${key} "${line.slice(s, Math.min(e, s + 40))}"`;
        if (v !== null) setExtra(ev, key, String(v));
        return null;
      };
    }
    case 't': case 'tr':
      return (_ev, line, s, e, ctx) => {
        const ms = ctx.acceptDate(line, s, e);
        if (ms !== ms) return `bad accept date "${line.slice(s, Math.min(e, s + 40))}"`;
        ctx.date.ms = ms;
        return null;
      };
    case 'T': case 'Tl': case 'trg': case 'trl':
      return (_ev, line, s, e, ctx) => {
        const ms = ctx.zonedDate(line, s, e);
        if (ms !== ms) return `bad date "${line.slice(s, Math.min(e, s + 40))}"`;
        ctx.date.ms = ms;
        return null;
      };
    case 'Ts':
      return (_ev, line, s, e, ctx) => {
        const v = hex ? hexAt(line, s, e) : intAt(line, s, e);
        if (!(v >= 0)) return `bad unix timestamp "${line.slice(s, Math.min(e, s + 40))}"`;
        ctx.date.ms = v * 1000;
        return null;
      };
    case 'ms':
      return (_ev, line, s, e, ctx) => {
        const v = intAt(line, s, e);
        if (!(v >= 0 && v <= 999)) return `bad milliseconds "${line.slice(s, e)}"`;
        ctx.date.millis = v;
        return null;
      };
    case 'B': return intSetter((ev, v) => { ev.bytes_read = v; }, 'bytes_read', 'bytes_read', false);
    case 'U': return intSetter((ev, v) => { setExtra(ev, 'bytes_uploaded', String(v)); }, 'bytes_uploaded', null, false);
    case 'ST': return intSetter((ev, v) => { ev.status = v; }, 'status', null, false);
    case 'ac': return intSetter((ev, v) => { ev.actconn = v; }, 'actconn', null, false);
    case 'fc': return intSetter((ev, v) => { ev.feconn = v; }, 'feconn', null, false);
    case 'bc': return intSetter((ev, v) => { ev.beconn = v; }, 'beconn', null, false);
    case 'sc': return intSetter((ev, v) => { ev.srv_conn = v; }, 'srv_conn', null, false);
    case 'rc': return intSetter((ev, v) => { ev.retries = v; }, 'retries', 'retries', false);
    case 'sq': return intSetter((ev, v) => { ev.srv_queue = v; }, 'srv_queue', null, false);
    case 'bq': return intSetter((ev, v) => { ev.backend_queue = v; }, 'backend_queue', null, false);
    case 'pid': return intSetter((ev, v) => { if (ev.pid === null) ev.pid = v; }, 'pid', null, hex);
    case 'lc': return intSetter((ev, v) => { setExtra(ev, 'log_counter', String(v)); }, 'log counter', null, hex);
    case 'rt': return intSetter((ev, v) => { setExtra(ev, 'request_counter', String(v)); }, 'request counter', null, hex);
    case 'f': case 'ft':
      return (ev, line, s, e) => { ev.frontend = line.slice(s, e); return null; };
    case 'b':
      return (ev, line, s, e) => { ev.backend = line.slice(s, e); return null; };
    case 's':
      return (ev, line, s, e) => { ev.server = line.slice(s, e); return null; };
    case 'ts': case 'tsc':
      return (ev, line, s, e) => { ev.termination_state = line.slice(s, e); return null; };
    case 'CC':
      return (ev, line, s, e) => { ev.captured_request_cookie = line.slice(s, e); return null; };
    case 'CS':
      return (ev, line, s, e) => { ev.captured_response_cookie = line.slice(s, e); return null; };
    case 'hr': case 'hrl':
      return (ev, line, s, e) => { if (e >= s) ev.captured_request_headers = splitCaptures(line, s, e); return null; };
    case 'hs': case 'hsl':
      return (ev, line, s, e) => { if (e >= s) ev.captured_response_headers = splitCaptures(line, s, e); return null; };
    case 'r':
      return (ev, line, s, e) => {
        const req = line.slice(s, e);
        ev.request = req;
        splitRequest(req, scratchRequest);
        ev.method = scratchRequest.method;
        ev.uri = scratchRequest.uri;
        ev.http_version = scratchRequest.http_version;
        return null;
      };
    case 'HM':
      return (ev, line, s, e) => { ev.method = nullableText(line, s, e); return null; };
    case 'HU':
      return (ev, line, s, e) => { ev.uri = nullableText(line, s, e); return null; };
    case 'HV':
      return (ev, line, s, e) => { ev.http_version = nullableText(line, s, e); return null; };
    case 'HP': return extraSetter(name ?? 'path');
    case 'HPO': return extraSetter(name ?? 'path_only');
    case 'HQ': return extraSetter(name ?? 'query');
    case 'H': return extraSetter(name ?? 'hostname');
    case 'ID': return extraSetter(name ?? 'unique_id');
    case 'OG': return extraSetter(name ?? 'log_origin');
    case 'sslv':
      return (ev, line, s, e) => { ev.ssl_version = nullableText(line, s, e); return null; };
    case 'sslc':
      return (ev, line, s, e) => { ev.ssl_ciphers = nullableText(line, s, e); return null; };
    default:
      throw new Error(`no setter for alias %${alias}`);
  }
}

/** `%[sample]` fetches: the TLS ones of httpslog map to event fields, any other is kept in `extra`. */
function sampleSetter(expr: string, name: string | null): Setter {
  const fetch = expr.split(',')[0].trim();
  switch (fetch) {
    case 'ssl_fc_err': return (ev, line, s, e) => { ev.ssl_fc_err = nullableText(line, s, e); return null; };
    case 'ssl_c_err': return (ev, line, s, e) => { ev.ssl_c_err = nullableText(line, s, e); return null; };
    case 'ssl_c_ca_err': return (ev, line, s, e) => { ev.ssl_c_ca_err = nullableText(line, s, e); return null; };
    case 'ssl_fc_sni': return (ev, line, s, e) => { ev.ssl_sni = nullableText(line, s, e); return null; };
    case 'ssl_fc_protocol': return (ev, line, s, e) => { ev.ssl_version = nullableText(line, s, e); return null; };
    case 'ssl_fc_cipher': return (ev, line, s, e) => { ev.ssl_ciphers = nullableText(line, s, e); return null; };
    default: return extraSetter(name ?? expr);
  }
}

function shapeOf(alias: string, next: FormatItem | undefined): { shape: Shape; width: number } {
  if (alias === 'ts') return { shape: Shape.Fixed, width: 2 };
  if (alias === 'tsc') return { shape: Shape.Fixed, width: 4 };
  if (alias === 'ms') return { shape: Shape.Fixed, width: 3 };
  if (alias === 'hr' || alias === 'hs') return { shape: Shape.Captures, width: 0 };
  if (alias === 'hrl' || alias === 'hsl') return { shape: Shape.CaptureList, width: 0 };
  if (ADDRESS_ALIASES.has(alias) && next?.kind === 'text' && next.text.startsWith(':')) return { shape: Shape.Address, width: 0 };
  return { shape: Shape.Plain, width: 0 };
}

function kindOf(items: FormatItem[]): EventKind {
  const aliases = new Set(items.flatMap((i) => (i.kind === 'alias' ? [i.alias] : [])));
  if ([...aliases].some((a) => HTTP_ALIASES.has(a))) return 'http';
  if (aliases.has('Tt') || aliases.has('ts')) return 'tcp';
  return 'custom';
}

/** `"%r"` written with literal quotes: the value runs to the closing quote, spaces included. */
function betweenQuotes(items: FormatItem[], i: number): boolean {
  const before = items[i - 1];
  const after = items[i + 1];
  return before?.kind === 'text' && before.text.endsWith('"') && after?.kind === 'text' && after.text.startsWith('"');
}

function buildSteps(items: FormatItem[]): Step[] {
  const steps: Step[] = [];
  items.forEach((item, i) => {
    if (item.kind === 'text') steps.push({ kind: 'text', text: item.text, label: item.text, shape: Shape.Plain, width: 0, quote: false, spaces: false, set: null });
    else if (item.kind === 'sep') steps.push({ kind: 'sep', text: ' ', label: 'space', shape: Shape.Plain, width: 0, quote: false, spaces: false, set: null });
    else if (item.kind === 'alias') {
      const { shape, width } = shapeOf(item.alias, items[i + 1]);
      const spaces = ZONED_DATES.has(item.alias) || betweenQuotes(items, i);
      steps.push({ kind: 'var', text: '', label: `%${item.alias}`, shape, width, quote: item.quote, spaces, set: aliasSetter(item.alias, item.hex, item.name) });
    } else {
      steps.push({ kind: 'var', text: '', label: `%[${item.expr}]`, shape: Shape.Plain, width: 0, quote: item.quote, spaces: betweenQuotes(items, i), set: sampleSetter(item.expr, item.name) });
    }
  });
  return steps;
}

/**
 * A final quoted request with no closing quote: HAProxy cut an over-long line inside the
 * request (the `len` of the log target). It is kept as logged, unless a `" ` later in the line
 * shows that fields follow (another format, then).
 */
export function isTruncatedTail(line: string, q: number): boolean {
  return line.indexOf('" ', q + 1) < 0 && line.charCodeAt(line.length - 1) !== 34;
}

/** Header captures print nothing when none is configured. */
function isCapture(step: Step | undefined): boolean {
  return step !== undefined && (step.shape === Shape.Captures || step.shape === Shape.CaptureList);
}

/** First char code that ends a plain variable followed by `next` (-1: the end of the line). */
function stopChar(next: Step | undefined): number {
  if (next === undefined) return -1;
  return next.kind === 'sep' ? 32 : next.kind === 'text' ? next.text.charCodeAt(0) : 32;
}

/** End of a quoted value starting at the opening quote q: the quote before what follows. */
function closingQuote(line: string, q: number, next: Step | undefined): number {
  let from = q + 1;
  for (;;) {
    const c = line.indexOf('"', from);
    if (c < 0) return -1;
    const after = line.charCodeAt(c + 1);
    if (next === undefined ? c + 1 === line.length
      : next.kind === 'text' ? line.startsWith(next.text, c + 1)
      : after === 32 || c + 1 === line.length) return c;
    from = c + 1;
  }
}

/** `kind` overrides the kind inferred from the variables (the error-log format logs no request). */
export function compileLogFormat(format: string, name = 'custom', kindOverride?: EventKind): CompiledFormat {
  const items = tokenizeLogFormat(format);
  if (!items.some((i) => i.kind === 'alias' || i.kind === 'sample')) {
    throw new Error('log-format string has no %-variable');
  }
  // Leading/trailing separators never delimit anything in the output.
  while (items.length > 0 && items[0].kind === 'sep') items.shift();
  while (items.length > 0 && items[items.length - 1].kind === 'sep') items.pop();
  const steps = buildSteps(items);
  const kind = kindOverride ?? kindOf(items);
  const timers = items.flatMap((i) => (i.kind === 'alias' && TIMERS.has(i.alias) ? [i.alias] : []));
  const n = steps.length;

  const parse: BodyParser = (line, pos, ev, ctx) => {
    ev.kind = kind;
    ev.format = name;
    if (timers.length > 0) {
      const t: Record<string, number> = {};
      for (const k of timers) t[k] = -1;
      ev.timers = t as unknown as HaproxyEvent['timers'];
    }
    const len = line.length;
    let skippedLast = false; // the previous variable printed nothing (absent capture block)
    for (let k = 0; k < n; k++) {
      const step = steps[k];
      if (step.kind === 'sep') {
        // After a capture block that printed nothing, the separator before it was the only one.
        if (skippedLast) continue;
        if (line.charCodeAt(pos) === 32) pos++;
        else if (!(pos === len && isCapture(steps[k + 1]))) {
          return pos === len ? `truncated line: ${steps[k + 1].label} missing` : `expected a space before ${steps[k + 1].label} at column ${pos + 1}`;
        }
        continue;
      }
      skippedLast = false;
      if (step.kind === 'text') {
        if (!line.startsWith(step.text, pos)) return `expected "${step.text}" at column ${pos + 1}`;
        pos += step.text.length;
        continue;
      }
      const next = steps[k + 1];
      let s = pos;
      let e: number;
      let after: number;
      if (step.shape === Shape.Captures) {
        if (line.charCodeAt(pos) !== 123 /* { */) {
          skippedLast = true;
          continue;
        }
        const close = line.indexOf('}', pos + 1);
        if (close < 0) return `unterminated header capture at column ${pos + 1}`;
        s = pos + 1;
        e = close;
        after = close + 1;
      } else if (step.shape === Shape.CaptureList) {
        // CLF style: one quoted value per captured header, separated by spaces.
        if (line.charCodeAt(pos) !== 34) {
          skippedLast = true;
          continue;
        }
        const values: string[] = [];
        let p = pos;
        while (line.charCodeAt(p) === 34) {
          const close = line.indexOf('"', p + 1);
          if (close < 0) return `unterminated quoted header at column ${p + 1}`;
          values.push(line.slice(p + 1, close));
          p = close + 1;
          if (line.charCodeAt(p) === 32 && line.charCodeAt(p + 1) === 34) p++;
          else break;
        }
        if (step.label === '%hrl') ev.captured_request_headers = values.map(unescapeHash);
        else ev.captured_response_headers = values.map(unescapeHash);
        pos = p;
        continue;
      } else if (step.shape === Shape.Fixed) {
        const quoted = step.quote && line.charCodeAt(pos) === 34;
        s = quoted ? pos + 1 : pos;
        e = s + step.width;
        if (e > len) return `truncated line: ${step.label} missing`;
        after = quoted ? e + 1 : e;
        if (quoted && line.charCodeAt(e) !== 34) return `expected a closing quote after ${step.label} at column ${e + 1}`;
      } else if (step.quote && step.label === '%r' && line.charCodeAt(pos) !== 34) {
        return pos >= len ? 'truncated line: no request' : `expected a quoted request at column ${pos + 1}`;
      } else if (step.quote && line.charCodeAt(pos) === 34) {
        const close = closingQuote(line, pos, next);
        s = pos + 1;
        if (close < 0) {
          if (next !== undefined || !isTruncatedTail(line, pos)) return `unterminated quoted ${step.label} at column ${pos + 1}`;
          e = len;
          after = len;
        } else {
          e = close;
          after = close + 1;
        }
      } else if (step.shape === Shape.Address) {
        let sp = line.indexOf(' ', pos);
        if (sp < 0) sp = len;
        const colon = lastColon(line, pos, sp);
        if (colon < pos) return `expected "address:port" at column ${pos + 1}`;
        e = colon;
        after = colon;
      } else {
        const stop = stopChar(next);
        if (stop < 0) e = len;
        else {
          e = line.indexOf(String.fromCharCode(stop), pos);
          if (e < 0) return `truncated line: no ${next!.label} after ${step.label}`;
        }
        if (stop !== 32 && !step.spaces) {
          const sp = line.indexOf(' ', pos);
          if (sp >= 0 && sp < e) return `unexpected space in ${step.label} at column ${sp + 1}`;
        }
        after = e;
      }
      const err = step.set!(ev, line, s, e, ctx);
      if (err !== null) return err;
      pos = after;
    }
    if (pos !== len) return `unexpected text after the last field at column ${pos + 1}`;
    return null;
  };
  return { name, kind, timers, parse };
}
