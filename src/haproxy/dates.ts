import { type Clock, monthAt, wallMs } from './clock.js';

/** Readers for the date shapes found in HAProxy lines. Each returns UTC epoch ms, or NaN. */

function digits(line: string, pos: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = line.charCodeAt(pos + i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

function valid(mo: number, d: number, h: number, mi: number, s: number): boolean {
  return mo >= 1 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60;
}

/** Milliseconds of a fraction ".d…" between pos (the dot) and end; NaN when malformed. */
function fraction(line: string, pos: number, end: number): number {
  if (pos === end) return 0;
  if (line.charCodeAt(pos) !== 46 /* . */ || end - pos < 2 || end - pos > 10) return Number.NaN;
  let ms = 0;
  let scale = 100;
  for (let i = pos + 1; i < end; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    if (scale >= 1) ms += c * scale;
    scale /= 10;
  }
  return Math.floor(ms);
}

/**
 * Reader of `06/Feb/2009:12:14:14` / `06/Feb/2009:12:14:14.655` (%t, %tr): wall clock in the
 * source zone. Consecutive lines share their minute, so the minute's UTC start is cached under
 * its fields read as one number; the zone conversion runs once per minute.
 */
export function acceptDateReader(clock: Clock): (line: string, pos: number, end: number) => number {
  let minuteKey = -1;
  let minuteMs = 0;
  return (line, pos, end) => {
    if (end - pos < 20 || line.charCodeAt(pos + 17) !== 58 || line.charCodeAt(pos + 2) !== 47 ||
        line.charCodeAt(pos + 6) !== 47 || line.charCodeAt(pos + 11) !== 58 || line.charCodeAt(pos + 14) !== 58) {
      return Number.NaN;
    }
    const s = digits(line, pos + 18, 2);
    const ms = end - pos === 24 && line.charCodeAt(pos + 20) === 46 ? digits(line, pos + 21, 3) : fraction(line, pos + 20, end);
    if (!(s <= 60) || !(ms >= 0)) return Number.NaN;
    const d = digits(line, pos, 2);
    const mo = monthAt(line, pos + 3);
    const y = digits(line, pos + 7, 4);
    const h = digits(line, pos + 12, 2);
    const mi = digits(line, pos + 15, 2);
    if (!(y >= 0) || !valid(mo, d, h, mi, 0)) return Number.NaN;
    const key = (((y * 16 + mo) * 32 + d) * 24 + h) * 60 + mi;
    if (key !== minuteKey) {
      minuteMs = clock.toUtc(y, mo, d, h, mi, 0, 0);
      minuteKey = key;
    }
    return minuteMs + s * 1000 + ms;
  };
}

/** `06/Feb/2009:12:14:14 +0100` (%T, %Tl, %trg, %trl): the zone is in the text. */
export function zonedDate(line: string, pos: number, end: number): number {
  if (end - pos !== 26 || line.charCodeAt(pos + 20) !== 32) return Number.NaN;
  const d = digits(line, pos, 2);
  const mo = monthAt(line, pos + 3);
  const y = digits(line, pos + 7, 4);
  const h = digits(line, pos + 12, 2);
  const mi = digits(line, pos + 15, 2);
  const s = digits(line, pos + 18, 2);
  const off = zoneOffset(line, pos + 21, end);
  if (line.charCodeAt(pos + 2) !== 47 || line.charCodeAt(pos + 6) !== 47 || !(y >= 0) || !valid(mo, d, h, mi, s)) {
    return Number.NaN;
  }
  return wallMs(y, mo, d, h, mi, s, 0) - off;
}

/** `+0100`, `-05:30`, `Z` → offset ms; NaN when malformed. */
function zoneOffset(line: string, pos: number, end: number): number {
  const sign = line.charCodeAt(pos);
  if (sign === 90 /* Z */ && end === pos + 1) return 0;
  if (sign !== 43 && sign !== 45) return Number.NaN;
  const hh = digits(line, pos + 1, 2);
  const colon = line.charCodeAt(pos + 3) === 58 ? 1 : 0;
  if (end !== pos + 5 + colon) return Number.NaN;
  const mm = digits(line, pos + 3 + colon, 2);
  const v = (hh * 60 + mm) * 60_000;
  return sign === 45 ? -v : v;
}

/** ISO-8601 / RFC 5424 `2021-12-15T16:55:18[.123][+01:00|Z]`; without a zone the source zone applies. */
export function isoDate(line: string, pos: number, end: number, clock: Clock): number {
  if (end - pos < 19 || line.charCodeAt(pos + 4) !== 45 || line.charCodeAt(pos + 7) !== 45 ||
      line.charCodeAt(pos + 10) !== 84 || line.charCodeAt(pos + 13) !== 58 || line.charCodeAt(pos + 16) !== 58) {
    return Number.NaN;
  }
  const y = digits(line, pos, 4);
  const mo = digits(line, pos + 5, 2);
  const d = digits(line, pos + 8, 2);
  const h = digits(line, pos + 11, 2);
  const mi = digits(line, pos + 14, 2);
  const s = digits(line, pos + 17, 2);
  if (!(y >= 0) || !valid(mo, d, h, mi, s)) return Number.NaN;
  let zone = pos + 19;
  while (zone < end) {
    const c = line.charCodeAt(zone);
    if (c === 43 || c === 45 || c === 90) break;
    zone++;
  }
  const ms = fraction(line, pos + 19, zone);
  if (!(ms >= 0)) return Number.NaN;
  if (zone === end) return clock.toUtc(y, mo, d, h, mi, s, ms);
  const off = zoneOffset(line, zone, end);
  return wallMs(y, mo, d, h, mi, s, ms) - off;
}

/**
 * RFC 3164 `Feb  6 12:14:14` / `Feb 06 12:14:14` (15 chars at pos). The year is not logged: the
 * reference year is used, or the year before when that would put the date more than a month in
 * the future of the reference instant.
 */
export function rfc3164Date(line: string, pos: number, clock: Clock, referenceMs: number): number {
  const mo = monthAt(line, pos);
  const dayHigh = line.charCodeAt(pos + 4);
  const d = (dayHigh === 32 ? 0 : dayHigh - 48) * 10 + (line.charCodeAt(pos + 5) - 48);
  const h = digits(line, pos + 7, 2);
  const mi = digits(line, pos + 10, 2);
  const s = digits(line, pos + 13, 2);
  if (!valid(mo, d, h, mi, s)) return Number.NaN;
  const refYear = new Date(referenceMs).getUTCFullYear();
  const t = clock.toUtc(refYear, mo, d, h, mi, s, 0);
  return t - referenceMs > 31 * 86_400_000 ? clock.toUtc(refYear - 1, mo, d, h, mi, s, 0) : t;
}

/** True when the 15 chars at pos look like an RFC 3164 timestamp. */
export function isRfc3164At(line: string, pos: number): boolean {
  return (
    line.charCodeAt(pos + 3) === 32 && line.charCodeAt(pos + 6) === 32 && line.charCodeAt(pos + 9) === 58 &&
    line.charCodeAt(pos + 12) === 58 && line.charCodeAt(pos + 15) === 32 && monthAt(line, pos) !== 0
  );
}
