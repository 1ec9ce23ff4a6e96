/**
 * Splits a byte stream into lines, keeping each line's byte offset in the file (checkpoints and
 * event ids are byte offsets, never character positions). Memory is bounded: a line longer than
 * `maxLineBytes` is cut there and flagged, and the rest of it up to the newline is skipped.
 */

export interface Line {
  text: string;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Byte offset just past the line's newline: where reading resumes after this line. */
  end: number;
  /** True when the line exceeded maxLineBytes and `text` holds only its beginning. */
  truncated: boolean;
}

const NEWLINE = 0x0a;
const CR = 0x0d;
const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private offset: number;
  /** Set while skipping the remainder of an over-long line. */
  private skipping = false;

  constructor(startOffset = 0, private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
    this.offset = startOffset;
  }

  /** Byte offset of the first byte not yet returned as part of a complete line. */
  get position(): number {
    return this.offset;
  }

  /** Bytes held for an incomplete last line. */
  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer, out: Line[] = []): Line[] {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) {
        this.hold(chunk.subarray(start));
        break;
      }
      this.complete(chunk, start, nl, out);
      start = nl + 1;
    }
    return out;
  }

  /** At end of input: the last line if it had no newline (a file still being written keeps it). */
  flush(): Line | null {
    if (this.pendingBytes === 0 && !this.skipping) return null;
    const buf = Buffer.concat(this.pending, this.pendingBytes);
    const line = this.makeLine(buf, 0, buf.length, this.skipping, this.offset + this.skippedBytes + buf.length);
    this.reset(line.end);
    return line;
  }

  private skippedBytes = 0;

  private hold(part: Buffer): void {
    if (this.skipping) {
      this.skippedBytes += part.length;
      return;
    }
    const room = this.maxLineBytes - this.pendingBytes;
    if (part.length > room) {
      if (room > 0) this.pending.push(Buffer.from(part.subarray(0, room)));
      this.pendingBytes += Math.max(room, 0);
      this.skippedBytes += part.length - Math.max(room, 0);
      this.skipping = true;
      return;
    }
    // Copy: the caller may reuse its read buffer.
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  private complete(chunk: Buffer, start: number, nl: number, out: Line[]): void {
    if (this.pendingBytes === 0 && !this.skipping) {
      const tooLong = nl - start > this.maxLineBytes;
      const stop = tooLong ? start + this.maxLineBytes : nl;
      const line = this.makeLine(chunk, start, stop, tooLong, this.offset + (nl - start) + 1);
      this.reset(line.end);
      out.push(line);
      return;
    }
    this.hold(chunk.subarray(start, nl));
    const buf = Buffer.concat(this.pending, this.pendingBytes);
    const end = this.offset + this.pendingBytes + this.skippedBytes + 1;
    const line = this.makeLine(buf, 0, buf.length, this.skipping, end);
    this.reset(end);
    out.push(line);
  }

  private makeLine(buf: Buffer, start: number, stop: number, truncated: boolean, end: number): Line {
    const textEnd = !truncated && stop > start && buf[stop - 1] === CR ? stop - 1 : stop;
    return { text: buf.toString('utf8', start, textEnd), offset: this.offset, end, truncated };
  }

  private reset(nextOffset: number): void {
    this.offset = nextOffset;
    this.pending = [];
    this.pendingBytes = 0;
    this.skippedBytes = 0;
    this.skipping = false;
  }
}
