import { isAscii } from 'node:buffer';
import { LineSplitter, type Line } from '../ship/lines.js';
import type { ParseResult } from '../haproxy/event.js';
import type { ParserOptions } from '../haproxy/parser.js';
import { LeanHttplog, viewOf } from './lean-httplog.js';
import type { SummaryBuilder } from './summary.js';

export const MAX_LINE_BYTES = 1024 * 1024;
export const TOO_LONG = 'line longer than 1 MiB (cut)';

const NEWLINE = 0x0a;
const CR = 0x0d;

export type RejectReporter = (source: string, line: number, reason: string) => void;
export type LineParser = (line: string) => ParseResult;

/**
 * The full parser, imported and built the first time a line needs it: a summary of canonical
 * httplog lines is read by the lean reader alone and never loads the parser's modules.
 */
export class LazyParser {
  constructor(
    private readonly options: ParserOptions,
    private parser: LineParser | null = null,
  ) {}

  get loaded(): LineParser | null {
    return this.parser;
  }

  async load(): Promise<LineParser> {
    if (this.parser === null) {
      const { createParser } = await import('../haproxy/parser.js');
      this.parser ??= createParser(this.options);
    }
    return this.parser;
  }
}

/** A line left for the full parser until it is loaded (text null: a line over the limit). */
interface Deferred {
  source: string;
  line: number;
  text: string | null;
}

/**
 * Feeds the lines of one input after another into a SummaryBuilder. In lean mode the lines are
 * taken as bytes, in place (no copy, no decoding), by the lean httplog reader when it recognises
 * them (a line cut by a chunk's end is put together first), and decoded and given to the full
 * parser otherwise; without it every line goes through the input's LineSplitter to the parser.
 * Over-long lines are counted as rejects without being kept whole. Byte offsets are not kept: a
 * summary does not need them.
 *
 * Until the full parser is loaded, the lines that need it (and the rejects after them) wait in
 * order; the caller awaits settle() after each chunk and after end(). Lean lines are counted
 * meanwhile: they add to counts only (no rejects, no last state), which do not depend on order.
 */
export class SummaryScan {
  private readonly lean: LeanHttplog | null;
  private readonly lines: Line[] = [];
  private splitter = new LineSplitter(0, MAX_LINE_BYTES);
  /** Lean mode: the start of a line cut by the chunk's end (at most MAX_LINE_BYTES + 1 bytes kept). */
  private cut: Buffer[] = [];
  private cutBytes = 0;
  private source = '';
  private lineNumber = 0;
  private readonly deferred: Deferred[] = [];

  constructor(
    private builder: SummaryBuilder,
    private readonly parser: LazyParser,
    leanHttplog: boolean,
    private onReject: RejectReporter,
  ) {
    this.lean = leanHttplog ? new LeanHttplog(builder) : null;
  }

  /** Counts into `builder` and reports to `onReject` from now on (settle() first). */
  countInto(builder: SummaryBuilder, onReject: RejectReporter): void {
    this.builder = builder;
    this.onReject = onReject;
    this.lean?.countInto(builder);
  }

  /** Lines of the current input so far. */
  get lineCount(): number {
    return this.lineNumber;
  }

  begin(source: string): void {
    this.source = source;
    this.lineNumber = 0;
    this.splitter = new LineSplitter(0, MAX_LINE_BYTES);
    this.cut = [];
    this.cutBytes = 0;
  }

  chunk(chunk: Buffer): void {
    if (this.lean === null) {
      this.lines.length = 0;
      for (const line of this.splitter.push(chunk, this.lines)) this.text(line);
      return;
    }
    let pos = 0;
    if (this.cutBytes > 0) {
      const nl = chunk.indexOf(NEWLINE);
      this.hold(nl === -1 ? chunk : chunk.subarray(0, nl));
      if (nl === -1) return;
      this.cutLine();
      pos = nl + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    // One vectorised check per chunk spares the lean reader a look at every request byte.
    const ascii = isAscii(chunk) && chunk.indexOf(0) < 0;
    const view = viewOf(chunk);
    while (pos <= last) {
      const nl = chunk.indexOf(NEWLINE, pos);
      this.bytes(chunk, view, pos, nl, ascii);
      pos = nl + 1;
    }
    if (pos < chunk.length) this.hold(chunk.subarray(pos));
  }

  /** End of the current input: its last line when it had no newline. */
  end(): void {
    if (this.lean !== null) {
      if (this.cutBytes > 0) this.cutLine();
      return;
    }
    const last = this.splitter.flush();
    if (last !== null) this.text(last);
  }

  /** Parses the lines waiting for the full parser, loading it; null when none waits. */
  settle(): Promise<void> | null {
    return this.deferred.length === 0 ? null : this.parseDeferred();
  }

  private async parseDeferred(): Promise<void> {
    const parse = await this.parser.load();
    for (const d of this.deferred) {
      if (d.text === null) this.onReject(d.source, d.line, TOO_LONG);
      else this.parsed(d.source, d.line, parse(d.text));
    }
    this.deferred.length = 0;
  }

  /** Keeps the start of a line cut by a chunk's end (a copy: the caller may reuse its buffer). */
  private hold(part: Buffer): void {
    const room = MAX_LINE_BYTES + 1 - this.cutBytes;
    if (room > 0) this.cut.push(Buffer.from(part.subarray(0, room)));
    this.cutBytes += part.length;
  }

  private cutLine(): void {
    const line = Buffer.concat(this.cut);
    const tooLong = this.cutBytes > MAX_LINE_BYTES;
    this.cut = [];
    this.cutBytes = 0;
    if (tooLong) {
      this.count();
      this.tooLong();
    } else {
      this.bytes(line, viewOf(line), 0, line.length, isAscii(line) && line.indexOf(0) < 0);
    }
  }

  private bytes(chunk: Buffer, view: DataView, start: number, nl: number, ascii: boolean): void {
    if (nl - start > MAX_LINE_BYTES) {
      this.count();
      this.tooLong();
      return;
    }
    const end = nl > start && chunk[nl - 1] === CR ? nl - 1 : nl;
    if (this.lean !== null && this.lean.take(chunk, view, start, end, ascii)) {
      this.count();
      return;
    }
    this.count();
    this.parse(chunk.toString('utf8', start, end));
  }

  private text(line: Line): void {
    this.count();
    if (line.truncated) this.tooLong();
    else this.parse(line.text);
  }

  private parse(text: string): void {
    const parse = this.parser.loaded;
    if (parse === null || this.deferred.length > 0) this.deferred.push({ source: this.source, line: this.lineNumber, text });
    else this.parsed(this.source, this.lineNumber, parse(text));
  }

  private parsed(source: string, line: number, result: ParseResult): void {
    if (result.ok) this.builder.event(result.event);
    else {
      this.builder.rejects++;
      this.onReject(source, line, result.reject.reason);
    }
  }

  private count(): void {
    this.lineNumber++;
    this.builder.lines++;
  }

  /** A line over the limit: a reject of the scan itself, reported in order with the parser's. */
  private tooLong(): void {
    this.builder.rejects++;
    if (this.deferred.length > 0) this.deferred.push({ source: this.source, line: this.lineNumber, text: null });
    else this.onReject(this.source, this.lineNumber, TOO_LONG);
  }
}
