/**
 * Rows as one block of ClickHouse's Native format: columnar and binary, so the engine copies
 * columns instead of parsing 65 text fields per row (TabSeparated or RowBinary cost chdb about
 * 4-6 µs of CPU per event row, Native about 0.3). The block is the revision-0 layout that the
 * `Native` input format reads on every version: column count, row count, then per column its
 * name, its type and its values.
 *
 * Column types come from the table (system.columns). Values are the row
 * values of rows.ts: numbers, strings, booleans, null, string arrays, and times as epoch
 * milliseconds or as the 'YYYY-MM-DD hh:mm:ss[.mmm]' UTC text TimeFormat renders.
 */

class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(Math.max(size, 1024));
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  string(s: string): void {
    const len = s.length;
    if (len < 128) {
      // Short ASCII (most values): bytes copied by hand, cheaper than a native write call.
      this.ensure(1 + len * 3);
      const b = this.buf;
      const start = this.pos;
      let p = start + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p++] = c;
      }
      if (i === len) {
        b[start] = len;
        this.pos = p;
        return;
      }
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Makes room for `n` bytes written directly into `buf` and returns where they start. */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** The low 2 or 4 bytes of an integer, as a C cast would keep them (out of range wraps, never throws). */
  int(v: number, bytes: 2 | 4): void {
    this.ensure(bytes);
    const b = this.buf;
    let p = this.pos;
    b[p++] = v & 0xff;
    b[p++] = (v >>> 8) & 0xff;
    if (bytes === 4) {
      b[p++] = (v >>> 16) & 0xff;
      b[p++] = (v >>> 24) & 0xff;
    }
    this.pos = p;
  }

  /** A 64-bit integer from a safe JS integer (two's complement for negatives). */
  int64(v: number): void {
    this.ensure(8);
    const b = this.buf;
    let p = this.pos;
    const lo = v >>> 0;
    const hi = Math.floor(v / 4294967296) | 0;
    b[p++] = lo & 0xff;
    b[p++] = (lo >>> 8) & 0xff;
    b[p++] = (lo >>> 16) & 0xff;
    b[p++] = lo >>> 24;
    b[p++] = hi & 0xff;
    b[p++] = (hi >>> 8) & 0xff;
    b[p++] = (hi >>> 16) & 0xff;
    b[p++] = hi >>> 24;
    this.pos = p;
  }

  f64(v: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(v, this.pos);
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

interface ColumnCodec {
  /** The type named in the block. */
  readonly wire: string;
  /** Writes the column's values; null or undefined as the type's default (Nullable writes its map first). */
  write(w: ByteWriter, values: readonly unknown[]): void;
}

/** Null, undefined and non-finite numbers are NULL (as in event JSON). */
const isNull = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v));

/** An integer column's value: booleans as 0/1, NULL as 0, fractions truncated. */
function int(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

/** 'YYYY-MM-DD?hh:mm' of the last time read, and its epoch ms: the times of a batch share minutes. */
let lastMinute = '';
let lastMinuteMs = 0;

/** The decimal digit at `i`, or NaN. */
function digitAt(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : Number.NaN;
}

/**
 * Epoch ms of a UTC time 'YYYY-MM-DD hh:mm:ss[.mmm]' (TimeFormat's text) or
 * 'YYYY-MM-DDThh:mm:ss[.mmm]Z' (the parser's ISO form); NaN for anything else. Date.parse runs
 * once per minute; within it, a prefix compare and five digits.
 */
export function utcTimeMs(s: string): number {
  const sep = s.charCodeAt(10);
  if ((sep !== 32 /* space */ && sep !== 84 /* T */) || s.charCodeAt(16) !== 58 /* : */) return Number.NaN;
  if (!s.startsWith(lastMinute) || lastMinute.length !== 16) {
    const ms = Date.parse(`${s.slice(0, 10)}T${s.slice(11, 16)}:00Z`);
    if (Number.isNaN(ms)) return ms;
    lastMinute = s.slice(0, 16);
    lastMinuteMs = ms;
  }
  const seconds = digitAt(s, 17) * 10 + digitAt(s, 18);
  if (!(seconds <= 59)) return Number.NaN;
  const zulu = sep === 84 ? 1 : 0;
  if (s.length === 19 + zulu) return zulu && s.charCodeAt(19) !== 90 /* Z */ ? Number.NaN : lastMinuteMs + seconds * 1000;
  if (s.length !== 23 + zulu || s.charCodeAt(19) !== 46 /* . */ || (zulu && s.charCodeAt(23) !== 90)) return Number.NaN;
  return lastMinuteMs + seconds * 1000 + digitAt(s, 20) * 100 + digitAt(s, 21) * 10 + digitAt(s, 22);
}

/** Epoch ms of a DateTime column's value: epoch ms as they are, or a UTC time text. */
function timeMs(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  const ms = utcTimeMs(String(v));
  if (Number.isNaN(ms)) throw new Error(`not a UTC time text: '${String(v)}'`);
  return ms;
}

/** Little-endian integers of 1, 2 or 4 bytes, out-of-range values wrapped as a C cast would (64-bit: int64). */
function integer(wire: string, bytes: 1 | 2 | 4 | 8): ColumnCodec {
  return {
    wire,
    write(w, values) {
      const n = values.length;
      if (bytes === 8) {
        for (let i = 0; i < n; i++) w.int64(int(values[i]));
        return;
      }
      let p = w.reserve(n * bytes);
      const b = w.buf;
      for (let i = 0; i < n; i++) {
        const v = int(values[i]);
        b[p++] = v & 0xff;
        if (bytes === 1) continue;
        b[p++] = (v >>> 8) & 0xff;
        if (bytes === 2) continue;
        b[p++] = (v >>> 16) & 0xff;
        b[p++] = (v >>> 24) & 0xff;
      }
    },
  };
}

/** Float64 keeps NaN and infinities (ClickHouse stores them); only a missing value is 0. */
const FLOAT64: ColumnCodec = {
  wire: 'Float64',
  write(w, values) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      w.f64(v === null || v === undefined ? 0 : Number(v));
    }
  },
};

const STRING: ColumnCodec = {
  wire: 'String',
  write(w, values) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      w.string(v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v));
    }
  },
};

const SCALARS: Record<string, ColumnCodec> = {
  String: STRING,
  UInt8: integer('UInt8', 1),
  UInt16: integer('UInt16', 2),
  Int16: integer('Int16', 2),
  UInt32: integer('UInt32', 4),
  Int32: integer('Int32', 4),
  UInt64: integer('UInt64', 8),
  Int64: integer('Int64', 8),
  Float64: FLOAT64,
};

const HAS_ADDITIONAL_KEYS = 1 << 9;

/**
 * LowCardinality(String) in its own bulk layout, so servers that cannot convert a String column
 * on insert (18.16) read it too, and no engine has to build the dictionary: a key-version prefix
 * (1: shared dictionaries with additional keys), then for the block the index width with the
 * "has additional keys" flag, the distinct values, and one index per row.
 */
const LOW_CARDINALITY_STRING: ColumnCodec = {
  wire: 'LowCardinality(String)',
  write(w, values) {
    const positions = new Map<string, number>();
    const keys: string[] = [];
    const indexes = new Array<number>(values.length);
    let last: unknown = {};
    let lastAt = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      // Names repeat row after row (often the very same string): skip the map lookup then.
      if (v === last) {
        indexes[i] = lastAt;
        continue;
      }
      const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v);
      let at = positions.get(s);
      if (at === undefined) {
        at = keys.length;
        positions.set(s, at);
        keys.push(s);
      }
      indexes[i] = lastAt = at;
      last = v;
    }
    const width = keys.length <= 0x100 ? 0 : keys.length <= 0x10000 ? 1 : 2;
    w.int64(1);
    w.int64(width | HAS_ADDITIONAL_KEYS);
    w.int64(keys.length);
    for (const k of keys) w.string(k);
    w.int64(values.length);
    for (let i = 0; i < indexes.length; i++) {
      if (width === 0) w.u8(indexes[i]);
      else w.int(indexes[i], width === 1 ? 2 : 4);
    }
  },
};
function nullable(of: ColumnCodec): ColumnCodec {
  return {
    wire: `Nullable(${of.wire})`,
    write(w, values) {
      const at = w.reserve(values.length);
      const b = w.buf;
      for (let i = 0; i < values.length; i++) b[at + i] = isNull(values[i]) ? 1 : 0;
      of.write(w, values);
    },
  };
}

function array(of: ColumnCodec): ColumnCodec {
  return {
    wire: `Array(${of.wire})`,
    write(w, values) {
      const flat: unknown[] = [];
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (Array.isArray(v)) {
          for (let j = 0; j < v.length; j++) flat.push(v[j]);
        } else if (v !== null && v !== undefined) throw new Error(`not an array: ${typeof v}`);
        w.int64(flat.length);
      }
      of.write(w, flat);
    },
  };
}

function dateTime(wire: string, scale: number): ColumnCodec {
  return {
    wire,
    write(w, values) {
      for (let i = 0; i < values.length; i++) {
        const ms = timeMs(values[i]);
        if (scale === 0) w.int(Math.floor(ms / 1000), 4);
        else w.int64(ms);
      }
    },
  };
}

/** The codec of a ClickHouse column type as system.columns spells it. */
export function columnCodec(type: string): ColumnCodec {
  const t = type.trim();
  if (t in SCALARS) return SCALARS[t];
  const inner = /^(\w+)\((.*)\)$/s.exec(t);
  if (inner) {
    const [, outer, arg] = inner;
    if (outer === 'LowCardinality' && arg.trim() === 'String') return LOW_CARDINALITY_STRING;
    if (outer === 'Nullable') return nullable(columnCodec(arg));
    if (outer === 'Array') return array(columnCodec(arg));
    if (outer === 'DateTime') return dateTime(t, 0);
    if (outer === 'DateTime64' && /^3\s*(,|$)/.test(arg.trim())) return dateTime(t, 3);
  }
  if (t === 'DateTime') return dateTime(t, 0);
  throw new Error(`Native encoding: unsupported column type ${t}`);
}

export interface NativeColumn {
  name: string;
  type: string;
}

/** The column types of a table in the connected database. */
export type ColumnTypesLookup = (table: string) => Promise<NativeColumn[]>;

/** Encoders per table and column list, built once from the table's live column types. */
export class TableEncoders {
  private readonly encoders = new Map<string, NativeEncoder>();

  constructor(private readonly lookup: ColumnTypesLookup) {}

  async get(table: string, columns: readonly string[]): Promise<NativeEncoder> {
    const key = `${table}(${columns.join(',')})`;
    let encoder = this.encoders.get(key);
    if (!encoder) {
      const types = new Map((await this.lookup(table)).map((c) => [c.name, c.type]));
      encoder = new NativeEncoder(columns.map((name) => {
        const type = types.get(name);
        if (!type) throw new Error(`${table}: no column '${name}'`);
        return { name, type };
      }));
      this.encoders.set(key, encoder);
    }
    return encoder;
  }
}

export const COLUMN_TYPES_SQL = 'SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {table:String}';

/** A reusable encoder for one table's columns (in row value order). */
export class NativeEncoder {
  private readonly codecs: ColumnCodec[];
  private bytesPerRow = 256;

  constructor(private readonly columns: readonly NativeColumn[]) {
    this.codecs = columns.map((c) => columnCodec(c.type));
  }

  /** One block holding `rows` (arrays of values in column order). */
  encode(rows: readonly (readonly unknown[])[]): Buffer {
    // Sized from the blocks before (bytes per row), so the buffer is not grown and copied midway.
    const w = new ByteWriter(Math.ceil(rows.length * this.bytesPerRow * 1.25));
    w.varint(this.columns.length);
    w.varint(rows.length);
    // Transposed row by row: each row array is read once, in order (column by column over
    // the rows cost three times as much in cache misses).
    const columns = this.columns.map(() => new Array<unknown>(rows.length));
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      for (let c = 0; c < columns.length; c++) columns[c][i] = row[c];
    }
    for (let c = 0; c < this.columns.length; c++) {
      w.string(this.columns[c].name);
      w.string(this.codecs[c].wire);
      this.codecs[c].write(w, columns[c]);
    }
    if (rows.length > 0) this.bytesPerRow = Math.max(this.bytesPerRow, w.pos / rows.length);
    return w.bytes();
  }
}
