import type { Command } from './command.js';
import { parseCommandArgs, EXIT, UsageError } from './command.js';
import { BatchedWriter } from './batched-writer.js';
import { inputChunks, STDIN } from './input.js';
import { LineSplitter, type Line } from '../ship/lines.js';
import type { ParseResult } from '../haproxy/event.js';
import { Clock } from '../haproxy/clock.js';
import { SummaryBuilder } from '../analyze/summary.js';
import { LazyParser, SummaryScan, MAX_LINE_BYTES, TOO_LONG, type LineParser, type RejectReporter } from '../analyze/summary-scan.js';
import { summariseInParts } from '../analyze/summary-parts.js';

const help = `usage: breakwater parse [FILE…|-] [--format FORMAT] [--timezone TZ]
       breakwater parse --summary [FILE…|-] [--format FORMAT] [--timezone TZ]

Parses HAProxy log lines (plain or gzip-compressed files, or stdin for '-' or no FILE) into
events, one JSON object per line that parsed, in input order, on stdout. Each object carries
'line' (1-based line number in its input), 'raw_offset' (byte offset of the line) and, with
several inputs, 'source' (the file name). Lines that do not parse are counted and reported on
stderr as 'SOURCE:LINE: reason'; they do not stop the run.

options:
  --format FORMAT   auto (default: recognise each line), http, tcp, clf, https, or an HAProxy
                    log-format string such as '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST'
  --timezone TZ     IANA zone the HAProxy box writes its dates in (default UTC); timestamps
                    are printed in UTC
  --summary         no per-line output: one JSON object with per-server counts, the view of
                    'halog -srv': {"lines","events","rejects","servers":{"BACKEND/SERVER":
                    {"requests","2xx","3xx","4xx","5xx","conn_failures","retries","avg_Tc",
                    "avg_Ta",…}}}
  -h, --help        this text

exit status: 0, or 66 when an input could not be read (the other inputs are still processed),
2 for a usage error.`;

/** Where the lines of all inputs go, one input after another: per-line JSON, or the summary. */
interface Sink {
  begin(source: string): void;
  /** One chunk of the current input. Returns false to stop reading (the reader went away). */
  chunk(chunk: Buffer): Promise<boolean>;
  /** End of the current input: its last line when it had no newline. */
  end(): void | Promise<void>;
}

const describeError = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  if (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR') return `corrupt gzip data (${e.message})`;
  return e.message ?? String(err);
};

/** NDJSON events on stdout, rejects on stderr. */
class EventSink implements Sink {
  private readonly lines: Line[] = [];
  private splitter = new LineSplitter(0, MAX_LINE_BYTES);
  private source = '';
  private lineNumber = 0;
  events = 0;
  rejects = 0;
  total = 0;

  constructor(
    private readonly parse: LineParser,
    private readonly out: BatchedWriter,
    private readonly err: BatchedWriter,
    private readonly withSource: boolean,
  ) {}

  begin(source: string): void {
    this.source = source;
    this.lineNumber = 0;
    this.splitter = new LineSplitter(0, MAX_LINE_BYTES);
  }

  async chunk(chunk: Buffer): Promise<boolean> {
    this.lines.length = 0;
    for (const line of this.splitter.push(chunk, this.lines)) this.line(line);
    if (this.out.full) await this.out.flush();
    if (this.err.full) await this.err.flush();
    return !this.out.closed;
  }

  end(): void {
    const last = this.splitter.flush();
    if (last !== null) this.line(last);
  }

  private line(line: Line): void {
    const n = ++this.lineNumber;
    this.total++;
    const result: ParseResult = line.truncated
      ? { ok: false, reject: { reason: TOO_LONG, raw: '' } }
      : this.parse(line.text);
    if (!result.ok) {
      this.rejects++;
      this.err.write(`${this.source}:${n}: ${result.reject.reason}\n`);
      return;
    }
    this.events++;
    const event = result.event;
    event.raw_offset = line.offset;
    if (this.withSource) event.source = this.source;
    this.out.write(`{"line":${n},${JSON.stringify(event).slice(1)}\n`);
  }
}

/** Per-server counts (SummaryScan); rejects on stderr. */
class SummarySink implements Sink {
  readonly builder = new SummaryBuilder();
  private readonly scan: SummaryScan;

  private readonly report: RejectReporter = (source, n, reason) => this.err.write(`${source}:${n}: ${reason}\n`);

  constructor(private readonly parser: LazyParser, leanHttplog: boolean, private readonly err: BatchedWriter) {
    this.scan = new SummaryScan(this.builder, parser, leanHttplog, this.report);
  }

  begin(source: string): void {
    this.scan.begin(source);
  }

  async chunk(chunk: Buffer): Promise<boolean> {
    this.scan.chunk(chunk);
    await this.scan.settle();
    if (this.err.full) await this.err.flush();
    return true;
  }

  async end(): Promise<void> {
    this.scan.end();
    await this.scan.settle();
  }

  /** A large plain file on several cores; false when it is to be read the usual way. */
  inParts(path: string, source: string, options: { format: string; timezone: string; lean: boolean }): Promise<boolean> {
    return summariseInParts(path, source, options, this.parser, this.builder, this.report, async () => {
      if (this.err.full) await this.err.flush();
    });
  }
}

export const command: Command = {
  name: 'parse',
  summary: 'parse HAProxy log lines into JSON events (or a per-server --summary)',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      format: { type: 'string', default: 'auto' },
      timezone: { type: 'string', default: 'UTC' },
      summary: { type: 'boolean', default: false },
    });
    if (!args) return EXIT.OK;
    const { format, timezone, summary } = args.values;
    const lean = format === 'auto' || format === 'http';
    // A summary of httplog lines may never need the full parser: it is loaded on the first line
    // the lean reader leaves to it (auto and http are valid formats; the zone is checked here).
    let parse: LineParser | null = null;
    try {
      if (summary && lean) new Clock(timezone);
      else parse = (await import('../haproxy/parser.js')).createParser({ format, timezone });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const parser = new LazyParser({ format, timezone }, parse);
    const paths = args.positionals.length > 0 ? args.positionals : [STDIN];
    if (paths.filter((p) => p === STDIN).length > 1) throw new UsageError("'-' (stdin) may be given once");

    const out = new BatchedWriter(process.stdout);
    const err = new BatchedWriter(process.stderr, 64 * 1024);
    const sink = summary ? new SummarySink(parser, lean, err) : new EventSink(await parser.load(), out, err, paths.length > 1);

    let unreadable = 0;
    for (const path of paths) {
      const source = path === STDIN ? '<stdin>' : path;
      let stopped = false;
      try {
        if (sink instanceof SummarySink && path !== STDIN && (await sink.inParts(path, source, { format, timezone, lean }))) continue;
        sink.begin(source);
        for await (const chunk of inputChunks(path)) {
          if (!(await sink.chunk(chunk))) {
            stopped = true;
            break;
          }
        }
        if (!stopped) await sink.end();
      } catch (e) {
        // The lines read before the error were processed; an unterminated last one is dropped.
        unreadable++;
        err.write(`breakwater parse: cannot read ${source}: ${describeError(e)}\n`);
      }
      if (stopped) break;
    }

    if (sink instanceof SummarySink) {
      out.write(JSON.stringify(sink.builder.toJSON()) + '\n');
    } else if (!out.closed) {
      err.write(`breakwater parse: ${sink.total} lines, ${sink.events} events, ${sink.rejects} rejects\n`);
    }
    await out.flush();
    await err.flush();
    if (out.error) {
      process.stderr.write(`breakwater parse: cannot write output: ${out.error.message}\n`);
      return EXIT.FAILURE;
    }
    return unreadable > 0 ? EXIT.NO_INPUT : EXIT.OK;
  },
};
