/**
 * Date arithmetic for the hot path: wall-clock fields in a source timezone → UTC epoch ms and
 * ISO-8601 strings, without Date or Intl per line. Offsets are computed once per wall-clock hour
 * (Intl, cached); ISO strings reuse the formatted second.
 */

const MS_HOUR = 3_600_000;
const TWO = Array.from({ length: 61 }, (_, i) => String(i).padStart(2, '0'));
const MILLIS_Z = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0') + 'Z');

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = m > 2 ? m - 3 : m + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Wall-clock fields read as if they were UTC. */
export function wallMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  return daysFromCivil(y, mo, d) * 86_400_000 + h * MS_HOUR + mi * 60_000 + s * 1000 + ms;
}

/** Throws RangeError for an unknown IANA zone name. */
export function assertTimezone(tz: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone: tz });
}

export class Clock {
  private readonly utc: boolean;
  private readonly fmt: Intl.DateTimeFormat | null;
  private readonly offsets = new Map<number, number>();
  private lastDay = Number.NaN;
  private lastDayPrefix = '';
  private lastSecond = Number.NaN;
  private lastSecondPrefix = '';

  constructor(readonly timezone = 'UTC') {
    const upper = timezone.toUpperCase();
    this.utc = upper === 'UTC' || upper === 'ETC/UTC' || upper === 'GMT' || upper === 'Z';
    this.fmt = this.utc
      ? null
      : new Intl.DateTimeFormat('en-US', {
          timeZone: timezone,
          hourCycle: 'h23',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          second: 'numeric',
        });
  }

  /** UTC epoch ms of wall-clock fields in the source timezone. */
  toUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
    const wall = wallMs(y, mo, d, h, mi, s, ms);
    if (this.utc) return wall;
    const hour = Math.floor(wall / MS_HOUR);
    let offset = this.offsets.get(hour);
    if (offset === undefined) {
      offset = this.offsetForWallHour(hour * MS_HOUR);
      if (this.offsets.size > 10_000) this.offsets.clear();
      this.offsets.set(hour, offset);
    }
    return wall - offset;
  }

  /** ISO-8601 UTC with milliseconds: the "YYYY-MM-DDTHH:MM:SS." part is built once per second. */
  iso(utcMs: number): string {
    if (!Number.isFinite(utcMs) || utcMs < -8.64e15 || utcMs > 8.64e15) return '';
    const second = Math.floor(utcMs / 1000);
    if (second !== this.lastSecond) {
      const day = Math.floor(second / 86_400);
      if (day !== this.lastDay) {
        this.lastDayPrefix = new Date(day * 86_400_000).toISOString().slice(0, -13);
        this.lastDay = day;
      }
      let t = second - day * 86_400;
      const h = (t / 3600) | 0;
      t -= h * 3600;
      const m = (t / 60) | 0;
      this.lastSecondPrefix = this.lastDayPrefix + TWO[h] + ':' + TWO[m] + ':' + TWO[t - m * 60] + '.';
      this.lastSecond = second;
    }
    return this.lastSecondPrefix + MILLIS_Z[utcMs - second * 1000];
  }

  /** Offset (wall − UTC, ms) in effect at a wall-clock instant, resolved like a clock reading. */
  private offsetForWallHour(wall: number): number {
    const first = this.offsetAt(wall);
    const second = this.offsetAt(wall - first);
    return second;
  }

  private offsetAt(utcMs: number): number {
    const parts = this.fmt!.formatToParts(new Date(utcMs));
    let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    for (const p of parts) {
      const v = Number(p.value);
      switch (p.type) {
        case 'year': y = v; break;
        case 'month': mo = v; break;
        case 'day': d = v; break;
        case 'hour': h = v; break;
        case 'minute': mi = v; break;
        case 'second': s = v; break;
      }
    }
    const flooredUtc = Math.floor(utcMs / 1000) * 1000;
    return wallMs(y, mo, d, h, mi, s, 0) - flooredUtc;
  }
}

/** Month number (1-12) of the three letters at `pos`, 0 when not a month name. */
export function monthAt(line: string, pos: number): number {
  const a = line.charCodeAt(pos), b = line.charCodeAt(pos + 1), c = line.charCodeAt(pos + 2);
  switch (a) {
    case 74: /* J */ return b === 97 && c === 110 ? 1 : b === 117 ? (c === 110 ? 6 : c === 108 ? 7 : 0) : 0;
    case 70: /* F */ return b === 101 && c === 98 ? 2 : 0;
    case 77: /* M */ return b === 97 ? (c === 114 ? 3 : c === 121 ? 5 : 0) : 0;
    case 65: /* A */ return b === 112 && c === 114 ? 4 : b === 117 && c === 103 ? 8 : 0;
    case 83: /* S */ return b === 101 && c === 112 ? 9 : 0;
    case 79: /* O */ return b === 99 && c === 116 ? 10 : 0;
    case 78: /* N */ return b === 111 && c === 118 ? 11 : 0;
    case 68: /* D */ return b === 101 && c === 99 ? 12 : 0;
    default: return 0;
  }
}
