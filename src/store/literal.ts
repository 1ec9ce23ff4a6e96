/**
 * Client-side parameter binding, for ClickHouse servers older than 19.11 that have no
 * `{name:Type}` query parameters (Debian's 18.16). This is the ONE function that puts a
 * value into SQL text; everything else binds server-side. It is safe because:
 *  - values were already normalised by params.ts against a whitelisted type: integers are
 *    /^-?\d+$/ in range, floats finite, dates and times canonical 'YYYY-MM-DD[ hh:mm:ss]';
 *  - strings become a single-quoted literal in which backslash, quote and every control
 *    byte are escaped (\\, \', \xHH), so the literal cannot end early or hide a newline;
 *  - strings, floats, dates and times are wrapped in a typed conversion (toDateTime(…, 'UTC'),
 *    toFloat64(…)); integers are bare decimal literals (18.16 accepts only literals in LIMIT),
 *    which ClickHouse types as the smallest fitting integer;
 *  - placeholders are found by the same scanner as server-side binding, outside literals
 *    and comments, and replaced from the end so offsets stay valid.
 * Used only when Features.queryParameters is false.
 */
import { bindValues, ParamError, type ParamType, type ParamValue } from './params.js';
import type { QueryParams } from './store.js';

export function quoteString(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

function typeName(t: ParamType): string {
  switch (t.kind) {
    case 'string': return 'String';
    case 'int': return t.name;
    case 'float': return t.name;
    case 'date': return 'Date';
    case 'datetime': return t.tz === null ? 'DateTime' : `DateTime(${quoteString(t.tz)})`;
    case 'nullable': return `Nullable(${typeName(t.of)})`;
    case 'array': return `Array(${typeName(t.of)})`;
  }
}

/** A typed SQL literal for an already-normalised value. */
export function renderLiteral(type: ParamType, value: ParamValue): string {
  switch (type.kind) {
    case 'nullable':
      return value === null ? `CAST(NULL AS ${typeName(type)})` : renderLiteral(type.of, value);
    case 'array': {
      if (!Array.isArray(value)) throw new ParamError('array parameter expects a list');
      return `CAST([${(value as ParamValue[]).map((v) => renderLiteral(type.of, v)).join(', ')}] AS ${typeName(type)})`;
    }
    case 'string':
      return quoteString(String(value));
    case 'int': {
      const text = String(value);
      if (!/^-?\d+$/.test(text)) throw new ParamError(`not an integer: ${text}`);
      // A bare decimal literal: old servers accept only literals in LIMIT. Negative ones in parentheses.
      return text.startsWith('-') ? `(${text})` : text;
    }
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new ParamError(`not a finite number: ${String(value)}`);
      return `to${type.name}(${quoteString(String(value))})`;
    }
    case 'date': {
      const text = String(value);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) throw new ParamError(`not a date: ${text}`);
      return `toDate(${quoteString(text)})`;
    }
    case 'datetime': {
      const text = String(value);
      if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) throw new ParamError(`not a time: ${text}`);
      return type.tz === null ? `toDateTime(${quoteString(text)})` : `toDateTime(${quoteString(text)}, ${quoteString(type.tz)})`;
    }
  }
}

/** `sql` with every placeholder replaced by the typed literal of its (validated) value. */
export function bindClientSide(sql: string, params: QueryParams = {}): string {
  const { placeholders, values } = bindValues(sql, params);
  let out = sql;
  for (const p of [...placeholders].reverse()) {
    out = out.slice(0, p.start) + renderLiteral(p.type, values[p.name]) + out.slice(p.end);
  }
  return out;
}
