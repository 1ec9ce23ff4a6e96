import { once } from 'node:events';
import type { Writable } from 'node:stream';

const DEFAULT_BATCH_CHARS = 256 * 1024;

/**
 * Collects output text and writes it in large batches, waiting for 'drain' when the stream
 * pushes back. A reader that went away (`breakwater parse big.log | head`: EPIPE) closes the
 * writer quietly; the caller checks `closed` and stops producing.
 */
export class BatchedWriter {
  private parts: string[] = [];
  private chars = 0;
  private gone = false;
  private failure: Error | null = null;

  constructor(private readonly stream: Writable, private readonly batchChars = DEFAULT_BATCH_CHARS) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      this.gone = true;
      if (err.code !== 'EPIPE') this.failure = err;
    });
  }

  /** True once the stream failed or its reader went away: further output is dropped. */
  get closed(): boolean {
    return this.gone;
  }

  /** A write error other than EPIPE, to report. */
  get error(): Error | null {
    return this.failure;
  }

  write(text: string): void {
    if (this.gone) return;
    this.parts.push(text);
    this.chars += text.length;
  }

  /** True when a batch is ready: the producer should `await flush()`. */
  get full(): boolean {
    return this.chars >= this.batchChars;
  }

  async flush(): Promise<void> {
    if (this.chars === 0 || this.gone) return;
    const data = this.parts.join('');
    this.parts = [];
    this.chars = 0;
    if (this.stream.write(data)) return;
    await Promise.race([once(this.stream, 'drain'), once(this.stream, 'close')]).catch(() => {});
  }
}
