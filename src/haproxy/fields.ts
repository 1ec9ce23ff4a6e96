/** Field readers shared by the compiled log-format parsers and the hand-tuned fast path. */

/**
 * Integer in [s, e): optional '+' (logasap: "at least") or '-' sign, then digits. NaN when
 * malformed. HAProxy never logs more than 64-bit counters; values beyond 2^53 lose precision.
 */
export function intAt(line: string, s: number, e: number): number {
  if (s >= e) return Number.NaN;
  let i = s;
  let neg = false;
  const c0 = line.charCodeAt(i);
  if (c0 === 43 /* + */) i++;
  else if (c0 === 45 /* - */) {
    neg = true;
    i++;
  }
  if (i >= e || e - i > 19) return Number.NaN;
  let v = 0;
  for (; i < e; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

/** Hexadecimal integer (the +X flag on ports, %Ts, %rt, %pid). */
export function hexAt(line: string, s: number, e: number): number {
  if (s >= e || e - s > 13) return Number.NaN;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = hexDigit(line.charCodeAt(i));
    if (d < 0) return Number.NaN;
    v = v * 16 + d;
  }
  return v;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** An IPv4 address logged in hex with +X (`0A000102` → `10.0.1.2`); other text unchanged. */
export function hexIp(text: string): string {
  if (text.length !== 8) return text;
  const n = hexAt(text, 0, 8);
  if (!(n >= 0)) return text;
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Decodes HAProxy's `#XX` log escapes (`#22` `"`, `#7B` `{`, `#7C` `|`, `#7D` `}`, `#23` `#` …). */
export function unescapeHash(text: string): string {
  let i = text.indexOf('#');
  if (i < 0) return text;
  let out = '';
  let from = 0;
  while (i >= 0) {
    const hi = hexDigit(text.charCodeAt(i + 1));
    const lo = hexDigit(text.charCodeAt(i + 2));
    if (hi >= 0 && lo >= 0) {
      out += text.slice(from, i) + String.fromCharCode(hi * 16 + lo);
      from = i + 3;
      i = text.indexOf('#', from);
    } else {
      i = text.indexOf('#', i + 1);
    }
  }
  return out + text.slice(from);
}

/** `a|b|c` inside a `{…}` capture block → decoded values in capture order. */
export function splitCaptures(line: string, s: number, e: number): string[] {
  const out: string[] = [];
  let from = s;
  for (;;) {
    const bar = line.indexOf('|', from);
    if (bar < 0 || bar >= e) {
      out.push(unescapeHash(line.slice(from, e)));
      return out;
    }
    out.push(unescapeHash(line.slice(from, bar)));
    from = bar + 1;
  }
}

export interface RequestParts {
  method: string | null;
  uri: string | null;
  http_version: string | null;
}

/** Splits a logged request line `METHOD URI HTTP/x.y`; `<BADREQ>`, `""` and truncated lines keep what is there. */
export function splitRequest(req: string, out: RequestParts): void {
  splitRequestAt(req, 0, req.length, out);
}

/** splitRequest of the request text in [s, e) of `text` (the fast path reads it in the line). */
export function splitRequestAt(text: string, s: number, e: number, out: RequestParts): void {
  out.method = null;
  out.uri = null;
  out.http_version = null;
  if (e === s || text.charCodeAt(s) === 60 /* < */) return;
  const sp = text.indexOf(' ', s);
  if (sp < 0 || sp >= e) {
    out.method = text.slice(s, e);
    return;
  }
  out.method = sp - s === 3 && text.startsWith('GET', s) ? 'GET' : sp - s === 4 && text.startsWith('POST', s) ? 'POST' : text.slice(s, sp);
  // Backward to the last space (short: the version); lastIndexOf is a runtime call.
  let last = e - 1;
  while (last > sp && text.charCodeAt(last) !== 32) last--;
  if (last > sp && e - last > 5 && text.startsWith('HTTP/', last + 1)) {
    out.uri = text.slice(sp + 1, last);
    const v11 = e - last === 9 && text.charCodeAt(e - 3) === 49 && text.charCodeAt(e - 2) === 46 && text.charCodeAt(e - 1) === 49;
    out.http_version = v11 ? 'HTTP/1.1' : text.slice(last + 1, e);
  } else {
    out.uri = text.slice(sp + 1, e);
  }
}

/** True when `text` is at `pos` in `line` (the caller checked that it fits): no builtin call, cheap for short texts. */
export function sameText(line: string, pos: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (line.charCodeAt(pos + i) !== text.charCodeAt(i)) return false;
  return true;
}

/** The last colon of `ip:port` in [s, e) (IPv6 clients are logged without brackets); below `s` when there is none. */
export function lastColon(line: string, s: number, e: number): number {
  // The port is a few characters: a backward loop is cheaper than lastIndexOf (a runtime call).
  let c = e - 1;
  while (c >= s && line.charCodeAt(c) !== 58) c--;
  return c;
}

/** HAProxy writes `-` for an unknown address (unix sockets, hidden clients). */
export function ipText(line: string, s: number, e: number): string | null {
  if (e === s || (e === s + 1 && line.charCodeAt(s) === 45)) return null;
  const c = line.charCodeAt(s);
  // Bracketed IPv6 `[::1]` as some custom formats write it.
  if (c === 91 && line.charCodeAt(e - 1) === 93) return line.slice(s + 1, e - 1);
  return line.slice(s, e);
}

/** Port, or null for `-`; NaN when malformed. */
export function portAt(line: string, s: number, e: number): number | null {
  if (e === s + 1 && line.charCodeAt(s) === 45) return null;
  const v = intAt(line, s, e);
  return v >= 0 && v <= 65535 && line.charCodeAt(s) !== 43 ? v : Number.NaN;
}
