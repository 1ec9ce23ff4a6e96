import { Worker } from 'node:worker_threads';
import type { OutgoingMessage } from '../bus/bus.js';
import type { ParseResult } from '../haproxy/event.js';
import type { ParserOptions } from '../haproxy/parser.js';
import { lineOutcome, type LineContext } from './record.js';
import type { Line } from './lines.js';
import { KeyTable, PackedWriter, unpackEvents, type PackedEvents } from './packed-events.js';

/** The lines of one read chunk as bus messages. */
export interface Encoded {
  events: OutgoingMessage[];
  rejects: OutgoingMessage[];
  /** Lines counted as read (blank lines are not). */
  read: number;
}

export type ChunkContext = Omit<LineContext, 'parse'>;

/**
 * Parses and encodes the lines of a chunk: on the calling thread, or on a worker thread
 * (`sources.encode_thread`) so that the main thread only reads files and talks to Kafka. Results
 * come back in the order the chunks were given.
 */
export interface LineEncoder {
  encode(lines: Line[], ctx: ChunkContext): Promise<Encoded>;
  close(): Promise<void>;
}

/** JSON is about 5.3 times the log line (generated httplog); the writer grows when it is more. */
const JSON_PER_LINE_BYTE = 6;

/** A chunk parsed and encoded: events packed in one buffer (see PackedEvents), rejects as JSON. */
export interface PackedChunk {
  events: PackedEvents;
  rejects: string[];
  read: number;
  /** The buffers behind `events`, to transfer to another thread. */
  transfer: ArrayBuffer[];
}

export function packLines(lines: Line[], ctx: LineContext, keys: KeyTable): PackedChunk {
  const bytes = lines.length ? lines[lines.length - 1].end - lines[0].offset : 0;
  const writer = new PackedWriter(lines.length, bytes * JSON_PER_LINE_BYTE);
  const rejects: string[] = [];
  let read = 0;
  for (const line of lines) {
    const outcome = lineOutcome(line, ctx);
    if (!outcome) continue;
    read++;
    if (outcome.event) writer.add(keys.idOf(outcome.event), JSON.stringify(outcome.event));
    else rejects.push(JSON.stringify(outcome.reject));
  }
  const { packed, transfer } = writer.finish(keys);
  return { events: packed, rejects, read, transfer };
}

function unpack(chunk: Pick<PackedChunk, 'events' | 'rejects' | 'read'>, keys: string[], host: string): Encoded {
  return { events: unpackEvents(chunk.events, keys), rejects: chunk.rejects.map((value) => ({ key: host, value })), read: chunk.read };
}

export function inThreadEncoder(parse: (line: string) => ParseResult): LineEncoder {
  const table = new KeyTable();
  const keys: string[] = [];
  return {
    encode: (lines, ctx) => Promise.resolve(unpack(packLines(lines, { ...ctx, parse }, table), keys, ctx.host)),
    close: () => Promise.resolve(),
  };
}

/** What crosses to the worker: the chunk's texts '\n'-joined (a line holds no newline). */
export interface EncodeRequest {
  texts: string;
  offsets: number[];
  ends: number[];
  truncated: number[];
  ctx: ChunkContext;
}

/** What comes back: the events packed (transferred buffers), the rejects' JSON (rare). */
export interface EncodeReply {
  events: PackedEvents | null;
  rejects: string[];
  read: number;
  error?: string;
}

/** Where the worker's code is: compiled next to this file, or (tests, tsx) the TypeScript source. */
function workerEntry(): URL {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new URL('./encode-worker.js', self);
  // Run from source: worker threads do not inherit tsx's loader on Node 20; register it first.
  const boot = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(new URL('./encode-worker.ts', self).href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

export class WorkerEncoder implements LineEncoder {
  private worker!: Worker;
  private waiting: { resolve(r: EncodeReply): void; reject(e: Error): void }[] = [];
  private failure: Error | null = null;
  /** The worker's key table, rebuilt from each reply (see PackedEvents). */
  private keys: string[] = [];

  constructor(private readonly parser: ParserOptions) {
    this.start();
  }

  /** A worker that died fails what it held (the shipper retries those chunks) and is replaced. */
  private start(): void {
    const worker = new Worker(workerEntry(), { workerData: this.parser });
    const waiting: typeof this.waiting = [];
    worker.on('message', (reply: EncodeReply) => waiting.shift()?.resolve(reply));
    const fail = (err: Error) => {
      if (this.worker === worker) this.failure = err;
      for (const w of waiting.splice(0)) w.reject(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`encoding worker exited (${code})`)));
    this.worker = worker;
    this.waiting = waiting;
    this.failure = null;
    this.keys = [];
  }

  async encode(lines: Line[], ctx: ChunkContext): Promise<Encoded> {
    if (this.failure) {
      void this.worker.terminate();
      this.start();
    }
    const request: EncodeRequest = {
      texts: lines.map((l) => l.text).join('\n'),
      offsets: lines.map((l) => l.offset),
      ends: lines.map((l) => l.end),
      truncated: lines.flatMap((l, i) => (l.truncated ? [i] : [])),
      ctx,
    };
    const reply = await new Promise<EncodeReply>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(request);
    });
    if (reply.error || !reply.events) throw new Error(`encoding worker: ${reply.error}`);
    return unpack({ events: reply.events, rejects: reply.rejects, read: reply.read }, this.keys, ctx.host);
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
