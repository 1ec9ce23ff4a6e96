import type { OutgoingMessage } from '../bus/bus.js';
import { eventKey, type HaproxyEvent } from '../haproxy/event.js';

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

type KeyFields = Pick<HaproxyEvent, 'host' | 'backend' | 'server'>;

/**
 * The worker's side of the key table. A shipper sends few distinct keys (host|backend|server), so
 * each crosses the thread boundary once; a table grown past MAX_KEYS starts again from id 0. Ids
 * are looked up by the three fields in nested maps: building the key string and hashing it for
 * every event cost twice as much (0.25 vs 0.12 µs); the string is built once per new key.
 */
export class KeyTable {
  private ids = new Map<string | null, Map<string | null, Map<string | null, number>>>();
  private size = 0;
  private fresh: string[] = [];
  private base = 0;

  idOf(e: KeyFields): number {
    let byBackend = this.ids.get(e.host);
    if (!byBackend) this.ids.set(e.host, (byBackend = new Map()));
    let byServer = byBackend.get(e.backend);
    if (!byServer) byBackend.set(e.backend, (byServer = new Map()));
    let id = byServer.get(e.server);
    if (id === undefined) {
      byServer.set(e.server, (id = this.size++));
      this.fresh.push(eventKey(e));
    }
    return id;
  }

  /** Forgets every key: the next chunk sends its keys again from id 0 (after a failed chunk). */
  clear(): void {
    this.ids.clear();
    this.size = 0;
    this.fresh = [];
    this.base = 0;
  }

  /**
   * The keys added since the last call, and the id of the first of them. Called once per chunk;
   * a table past MAX_KEYS is cleared here, between chunks, never while a chunk holds its ids.
   */
  take(): { keyBase: number; newKeys: string[] } {
    const taken = { keyBase: this.base, newKeys: this.fresh };
    if (this.size >= MAX_KEYS) this.clear();
    else {
      this.base = this.size;
      this.fresh = [];
    }
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
