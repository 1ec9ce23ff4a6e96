/**
 * Batches rows for one table by size and by time, with a bounded buffer:
 *  - a batch is written when it holds `maxRows` rows or its oldest row waited `maxDelayMs`;
 *  - `add()` resolves when the batch holding its rows has been written (durable);
 *  - when `maxBuffered` rows wait, `add()` waits for room first (backpressure to the caller);
 *  - a failed write is retried with exponential backoff until it succeeds: a dead database
 *    pauses the pipeline, it never drops rows. Batches are written one at a time, in order;
 *  - with `prepare`, a batch is encoded as soon as it is sealed, while the one before it is
 *    still being written (the embedded engine inserts off the main thread meanwhile).
 * Retried batches may land twice; the tables are built so that duplicates never count twice.
 */
import { log } from '../observe/log.js';

export interface BatcherOptions<T = string, P = T[]> {
  table: string;
  maxRows: number;
  maxDelayMs: number;
  maxBuffered: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /**
   * Turns a sealed batch into what write() takes (an encoded block). Started when the batch is
   * sealed, so it runs while earlier batches are still being written; run again on a retry if
   * it failed. Without it, write() gets the rows.
   */
  prepare?(lines: T[]): Promise<P>;
  write(batch: P): Promise<void>;
}

interface Batch<T, P> {
  lines: T[];
  /** Rows in the batch (lines are released once prepared). */
  size: number;
  prepared?: Promise<P>;
  done: Promise<void>;
  resolve(): void;
}

function newBatch<T, P>(): Batch<T, P> {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return { lines: [], size: 0, done, resolve };
}

/** Rows of any representation (T): the store batches value arrays, the tests strings. */
export class Batcher<T = string, P = T[]> {
  private current: Batch<T, P> = newBatch();
  private readonly sealed: Batch<T, P>[] = [];
  private buffered = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing = false;
  /** The most recently sealed batch: batches are written in order, so when it is done, all are. */
  private lastSealed: Batch<T, P> | null = null;
  private roomWaiters: (() => void)[] = [];
  /** Consecutive failed attempts of the batch being written (0 when healthy). */
  failures = 0;

  constructor(private readonly opts: BatcherOptions<T, P>) {}

  /** Rows waiting to be written, for stats. */
  get pending(): number {
    return this.buffered;
  }

  async add(lines: T[]): Promise<void> {
    const waits: Promise<void>[] = [];
    let offset = 0;
    while (offset < lines.length) {
      while (this.buffered >= this.opts.maxBuffered) await new Promise<void>((r) => this.roomWaiters.push(r));
      const room = Math.min(this.opts.maxRows - this.current.lines.length, this.opts.maxBuffered - this.buffered);
      const chunk = lines.slice(offset, offset + room);
      offset += chunk.length;
      for (const line of chunk) this.current.lines.push(line);
      this.buffered += chunk.length;
      waits.push(this.current.done);
      if (this.current.lines.length >= this.opts.maxRows) this.seal();
      else if (!this.timer) this.timer = setTimeout(() => this.seal(), this.opts.maxDelayMs);
    }
    await Promise.all(waits);
  }

  /** Writes whatever is buffered now; resolves when all of it is durable. */
  async flush(): Promise<void> {
    this.seal();
    if (this.lastSealed) await this.lastSealed.done;
  }

  private seal(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.current.lines.length === 0) return;
    const batch = this.current;
    batch.size = batch.lines.length;
    if (this.opts.prepare) {
      // The rows are let go once encoded: a queued batch then holds only its (smaller) block.
      batch.prepared = this.opts.prepare(batch.lines).then((payload) => {
        batch.lines = [];
        return payload;
      });
      batch.prepared.catch(() => undefined); // handled when written: prepared again from the rows
    }
    this.sealed.push(batch);
    this.lastSealed = batch;
    this.current = newBatch();
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      for (let batch = this.sealed.shift(); batch; batch = this.sealed.shift()) {
        await this.writeUntilDone(batch);
        this.buffered -= batch.size;
        batch.resolve();
        const waiters = this.roomWaiters;
        this.roomWaiters = [];
        for (const w of waiters) w();
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeUntilDone(batch: Batch<T, P>): Promise<void> {
    const prepare = this.opts.prepare;
    let payload: P | undefined = prepare ? undefined : (batch.lines as unknown as P);
    let delay = this.opts.retryInitialMs;
    for (;;) {
      try {
        if (payload === undefined && prepare) {
          try {
            payload = await (batch.prepared ?? prepare(batch.lines));
          } finally {
            batch.prepared = undefined;
          }
        }
        await this.opts.write(payload as P);
        if (this.failures > 0) log.info({ table: this.opts.table, attempts: this.failures + 1 }, 'store: insert succeeded after retries');
        this.failures = 0;
        return;
      } catch (err) {
        this.failures++;
        log.warn(
          { table: this.opts.table, rows: batch.size, attempt: this.failures, retry_in_ms: delay, err: (err as Error).message },
          'store: insert failed; retrying (rows are kept, producers wait)',
        );
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.opts.retryMaxMs);
      }
    }
  }
}
