/**
 * Named, typed query parameters: `{name:Type}` placeholders in SQL text. Finds them (outside
 * string literals, quoted identifiers and comments, as ClickHouse does), parses their types
 * against a whitelist, and normalises values to one canonical form per type, so that
 * server-side binding (chdb, ClickHouse >= 19.11) and client-side binding (older servers,
 * literal.ts) see exactly the same validated values.
 */
import type { QueryParams } from './store.js';

export class ParamError extends Error {
  override name = 'ParamError';
}

export type ParamValue = QueryParams[string];

export type ParamType =
  | { kind: 'string' }
  | { kind: 'int'; name: string; signed: boolean; bits: 8 | 16 | 32 | 64 }
  | { kind: 'float'; name: 'Float32' | 'Float64' }
  | { kind: 'date' }
  | { kind: 'datetime'; tz: string | null }
  | { kind: 'nullable'; of: ParamType }
  | { kind: 'array'; of: ParamType };

export interface Placeholder {
  name: string;
  /** The type as written, e.g. "DateTime('UTC')". */
  typeText: string;
  type: ParamType;
  /** Offsets of the whole `{name:Type}` in the SQL text. */
  start: number;
  end: number;
}

const PLACEHOLDER = /^\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^{}]+?)\s*\}/;
const TZ = /^[A-Za-z0-9_/+-]+$/;

export function parseParamType(text: string): ParamType {
  const t = text.trim();
  let m: RegExpMatchArray | null;
  if (t === 'String') return { kind: 'string' };
  if ((m = /^(U?)Int(8|16|32|64)$/.exec(t))) {
    return { kind: 'int', name: t, signed: m[1] === '', bits: Number(m[2]) as 8 | 16 | 32 | 64 };
  }
  if (t === 'Float32' || t === 'Float64') return { kind: 'float', name: t };
  if (t === 'Date') return { kind: 'date' };
  if (t === 'DateTime') return { kind: 'datetime', tz: null };
  if ((m = /^DateTime\(\s*'([^']*)'\s*\)$/.exec(t))) {
    if (!TZ.test(m[1])) throw new ParamError(`bad time zone in type ${t}`);
    return { kind: 'datetime', tz: m[1] };
  }
  if ((m = /^Nullable\((.+)\)$/.exec(t))) return { kind: 'nullable', of: parseParamType(m[1]) };
  if ((m = /^Array\((.+)\)$/.exec(t))) return { kind: 'array', of: parseParamType(m[1]) };
  if ((m = /^LowCardinality\((.+)\)$/.exec(t))) return parseParamType(m[1]);
  throw new ParamError(`unsupported parameter type '${t}' (String, (U)Int8-64, Float32/64, Date, DateTime['tz'], Nullable(T), Array(T))`);
}

/** Every placeholder of `sql`, in order, skipping literals, quoted identifiers and comments. */
export function scanPlaceholders(sql: string): Placeholder[] {
  const found: Placeholder[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(sql, i, c);
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
    } else if (c === '{') {
      const m = PLACEHOLDER.exec(sql.slice(i));
      if (m) {
        found.push({ name: m[1], typeText: m[2], type: parseParamType(m[2]), start: i, end: i + m[0].length });
        i += m[0].length;
      } else {
        i++;
      }
    } else {
      i++;
    }
  }
  return found;
}

function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === '\\') i += 2;
    else if (sql[i] === quote && sql[i + 1] === quote) i += 2;
    else if (sql[i] === quote) return i + 1;
    else i++;
  }
  return i;
}

const DATETIME_TEXT = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;
const RELATIVE = /^(?:now)?\s*(?:([+-])\s*(\d+)\s*(s|m|h|d|w))?$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `2026-11-20T10:00:00Z`, `2026-11-20 10:00:00` (UTC), unix seconds, `now`, `now-24h`, `-90m`. */
export function parseTimeValue(value: string | number, now = Date.now()): Date {
  if (typeof value === 'number' || /^\d+$/.test(value.trim())) return new Date(Number(value) * 1000);
  const text = value.trim();
  const abs = DATETIME_TEXT.exec(text);
  if (abs) {
    const zone = abs[4] ?? 'Z';
    const d = new Date(`${abs[1]}T${abs[2]}${abs[3] ?? ''}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
    if (!Number.isNaN(d.getTime())) return d;
  }
  const rel = text ? RELATIVE.exec(text) : null;
  if (rel) {
    const delta = rel[2] ? Number(rel[2]) * UNIT_MS[rel[3] as keyof typeof UNIT_MS] : 0;
    return new Date(rel[1] === '-' ? now - delta : now + delta);
  }
  throw new ParamError(`not a time: '${value}' (ISO-8601, 'YYYY-MM-DD hh:mm:ss' UTC, unix seconds, now, now-24h)`);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** 'YYYY-MM-DD hh:mm:ss' in UTC: the text ClickHouse reads for DateTime('UTC'). */
export function toClickHouseDateTime(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function intRange(t: Extract<ParamType, { kind: 'int' }>): [bigint, bigint] {
  const bits = BigInt(t.bits);
  return t.signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

/**
 * The canonical value of `value` for `type`, or a ParamError. Integers come back as decimal
 * strings (64-bit safe), floats as numbers, dates/times as ClickHouse text in UTC.
 */
export function normalizeParam(type: ParamType, value: ParamValue | undefined, name: string): ParamValue {
  const fail = (why: string): never => {
    throw new ParamError(`parameter ${name}: ${why}`);
  };
  if (value === undefined) fail('missing value');
  switch (type.kind) {
    case 'nullable':
      return value === null || value === '\\N' ? null : normalizeParam(type.of, value, name);
    case 'array': {
      let items = value;
      if (typeof items === 'string') items = items === '' ? [] : items.split(',');
      if (!Array.isArray(items)) fail('expected a list');
      return (items as (string | number)[]).map((v) => normalizeParam(type.of, v, name)) as string[];
    }
    case 'string':
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') fail('expected a string');
      return String(value);
    case 'int': {
      const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value).trim();
      if (!/^-?\d+$/.test(text)) fail(`expected an integer (${type.name}), got '${String(value)}'`);
      const n = BigInt(text);
      const [lo, hi] = intRange(type);
      if (n < lo || n > hi) fail(`${text} is out of range for ${type.name}`);
      return n.toString();
    }
    case 'float': {
      const n = typeof value === 'number' ? value : /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(String(value).trim()) ? Number(value) : NaN;
      if (!Number.isFinite(n)) fail(`expected a finite number, got '${String(value)}'`);
      return n;
    }
    case 'date': {
      if (typeof value !== 'string' && typeof value !== 'number') fail('expected a date');
      return toClickHouseDateTime(parseTimeValue(value as string | number)).slice(0, 10);
    }
    case 'datetime': {
      if (typeof value !== 'string' && typeof value !== 'number') fail('expected a time');
      try {
        return toClickHouseDateTime(parseTimeValue(value as string | number));
      } catch (err) {
        return fail((err as Error).message);
      }
    }
  }
}

/**
 * Normalises `params` against the placeholders of `sql`: each placeholder must have a value
 * (consistent types when a name repeats); values without a placeholder are ignored.
 */
export function bindValues(sql: string, params: QueryParams = {}): { placeholders: Placeholder[]; values: QueryParams } {
  const placeholders = scanPlaceholders(sql);
  const values: QueryParams = {};
  const typeOf = new Map<string, string>();
  for (const p of placeholders) {
    const seen = typeOf.get(p.name);
    if (seen !== undefined && seen !== p.typeText) throw new ParamError(`parameter ${p.name} is used with two types: ${seen} and ${p.typeText}`);
    typeOf.set(p.name, p.typeText);
    if (!(p.name in values)) values[p.name] = normalizeParam(p.type, params[p.name], p.name);
  }
  return { placeholders, values };
}
