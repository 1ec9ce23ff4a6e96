import { isAscii } from 'node:buffer';
import { LineSplitter, type Line } from '../ship/lines.js';
import type { ParseResult } from '../haproxy/event.js';
import { LeanHttplog } from './lean-httplog.js';
import type { SummaryBuilder } from './summary.js';

export const MAX_LINE_BYTES = 1024 * 1024;
export const TOO_LONG = 'line longer than 1 MiB (cut)';

const NEWLINE = 0x0a;
const CR = 0x0d;

export type RejectReporter = (source: string, line: number, reason: string) => void;

/**
 * Feeds the lines of one input after another into a SummaryBuilder. The complete lines inside
 * each read chunk are taken in place (no copy, no decoding) by the lean httplog reader when it
 * recognises them, and decoded and given to the full parser otherwise. Lines that straddle two
 * chunks, or the unterminated last line, go through the input's LineSplitter, which bounds the
 * memory an over-long line can take. Byte offsets are not kept: a summary does not need them.
 */
export class SummaryScan {
  private readonly lean: LeanHttplog | null;
  private readonly lines: Line[] = [];
  private splitter = new LineSplitter(0, MAX_LINE_BYTES);
  private source = '';
  private lineNumber = 0;

  constructor(
    private readonly builder: SummaryBuilder,
    private readonly parse: (line: string) => ParseResult,
    leanHttplog: boolean,
    private readonly onReject: RejectReporter,
  ) {
    this.lean = leanHttplog ? new LeanHttplog(builder) : null;
  }

  /** Lines of the current input so far. */
  get lineCount(): number {
    return this.lineNumber;
  }

  begin(source: string): void {
    this.source = source;
    this.lineNumber = 0;
    this.splitter = new LineSplitter(0, MAX_LINE_BYTES);
  }

  chunk(chunk: Buffer): void {
    let pos = 0;
    if (this.splitter.buffered > 0 || this.lean === null) {
      const nl = this.lean === null ? chunk.length - 1 : chunk.indexOf(NEWLINE);
      if (nl === -1) {
        this.splitter.push(chunk);
        return;
      }
      this.lines.length = 0;
      for (const line of this.splitter.push(chunk.subarray(0, nl + 1), this.lines)) this.text(line);
      pos = nl + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    // One vectorised check per chunk spares the lean reader a look at every request byte.
    const ascii = this.lean !== null && isAscii(chunk) && chunk.indexOf(0) < 0;
    while (pos <= last) {
      const nl = chunk.indexOf(NEWLINE, pos);
      this.bytes(chunk, pos, nl, ascii);
      pos = nl + 1;
    }
    if (pos < chunk.length) this.splitter.push(chunk.subarray(pos));
  }

  /** End of the current input: its last line when it had no newline. */
  end(): void {
    const last = this.splitter.flush();
    if (last !== null) this.text(last);
  }

  private bytes(chunk: Buffer, start: number, nl: number, ascii: boolean): void {
    if (nl - start > MAX_LINE_BYTES) {
      this.count();
      this.reject(TOO_LONG);
      return;
    }
    const end = nl > start && chunk[nl - 1] === CR ? nl - 1 : nl;
    if (this.lean !== null && this.lean.take(chunk, start, end, ascii)) {
      this.count();
      return;
    }
    this.text({ text: chunk.toString('utf8', start, end), offset: 0, end: 0, truncated: false });
  }

  private text(line: Line): void {
    this.count();
    if (line.truncated) {
      this.reject(TOO_LONG);
      return;
    }
    const result = this.parse(line.text);
    if (result.ok) this.builder.event(result.event);
    else this.reject(result.reject.reason);
  }

  private count(): void {
    this.lineNumber++;
    this.builder.lines++;
  }

  private reject(reason: string): void {
    this.builder.rejects++;
    this.onReject(this.source, this.lineNumber, reason);
  }
}
