import type { OutgoingMessage } from '../bus/bus.js';

/**
 * A chunk's events as the encoding worker hands them to the main thread: every JSON value UTF-8
 * encoded once, back to back in one buffer, with their end offsets and key ids in typed arrays.
 * All three are transferred, not copied; the main thread only makes views (no per-message
 * string split, no per-message UTF-8 encoding), which the producer sends as they are.
 */
export interface PackedEvents {
  count: number;
  values: Uint8Array;
  /** Byte offset in `values` just past event i's JSON. */
  ends: Int32Array;
  /** Event i's key: index into the receiver's key table. */
  keyIds: Int32Array;
  /** Id of newKeys[0]: the receiver truncates its table there, then appends newKeys. */
  keyBase: number;
  newKeys: string[];
}

const MAX_KEYS = 100_000;

/**
 * The worker's side of the key table. A shipper sends few distinct keys (host|backend|server), so
 * each crosses the thread boundary once; a table grown past MAX_KEYS starts again from id 0.
 */
export class KeyTable {
  private ids = new Map<string, number>();
  private fresh: string[] = [];
  private base = 0;

  id(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      if (this.ids.size >= MAX_KEYS) this.clear();
      id = this.ids.size;
      this.ids.set(key, id);
      this.fresh.push(key);
    }
    return id;
  }

  /** Forgets every key: the next chunk sends its keys again from id 0 (after a failed chunk). */
  clear(): void {
    this.ids.clear();
    this.fresh = [];
    this.base = 0;
  }

  /** The keys added since the last call, and the id of the first of them. */
  take(): { keyBase: number; newKeys: string[] } {
    const taken = { keyBase: this.base, newKeys: this.fresh };
    this.base = this.ids.size;
    this.fresh = [];
    return taken;
  }
}

/** Writes one chunk's event values into a single buffer that grows when needed. */
export class PackedWriter {
  private buf: Buffer;
  private used = 0;
  private count = 0;
  private readonly ends: Int32Array<ArrayBuffer>;
  private readonly keyIds: Int32Array<ArrayBuffer>;

  constructor(maxEvents: number, expectedBytes: number) {
    // Own ArrayBuffers (never the shared pool): they are transferred.
    this.buf = Buffer.allocUnsafeSlow(Math.max(expectedBytes, 4096));
    this.ends = new Int32Array(new ArrayBuffer(maxEvents * 4));
    this.keyIds = new Int32Array(new ArrayBuffer(maxEvents * 4));
  }

  add(keyId: number, value: string): void {
    // 3 bytes per UTF-16 unit at most; the exact length is only computed near the end.
    if (this.buf.length - this.used < value.length * 3) this.reserve(Buffer.byteLength(value));
    this.used += this.buf.write(value, this.used);
    this.ends[this.count] = this.used;
    this.keyIds[this.count++] = keyId;
  }

  private reserve(bytes: number): void {
    if (this.buf.length - this.used >= bytes) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.used + bytes));
    this.buf.copy(bigger, 0, 0, this.used);
    this.buf = bigger;
  }

  finish(keys: KeyTable): { packed: PackedEvents; transfer: ArrayBuffer[] } {
    // allocUnsafeSlow: a plain ArrayBuffer of its own, starting at offset 0.
    const whole = this.buf.buffer as ArrayBuffer;
    const packed = { count: this.count, values: new Uint8Array(whole, 0, this.used), ends: this.ends, keyIds: this.keyIds, ...keys.take() };
    return { packed, transfer: [whole, this.ends.buffer, this.keyIds.buffer] };
  }
}

/** The main thread's side: updates its key table and makes the messages (views into `values`). */
export function unpackEvents(packed: PackedEvents, keys: string[]): OutgoingMessage[] {
  keys.length = packed.keyBase;
  for (const k of packed.newKeys) keys.push(k);
  const all = Buffer.from(packed.values.buffer, packed.values.byteOffset, packed.values.byteLength);
  const messages: OutgoingMessage[] = new Array(packed.count);
  let start = 0;
  for (let i = 0; i < packed.count; i++) {
    const end = packed.ends[i];
    messages[i] = { key: keys[packed.keyIds[i]], value: all.subarray(start, end) };
    start = end;
  }
  return messages;
}
