import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { HaproxyEvent, ParseResult } from '../haproxy/event.js';
import type { Store } from '../store/store.js';
import type { DetectorConfig } from '../config/detector.js';
import type { SourcesConfig } from '../config/sources.js';
import { runDetectorOverEvents, type IncidentSummary } from '../detect/replay.js';
import { LineSplitter } from './lines.js';
import { lineOutcome, type LineContext, type RejectRecord } from './record.js';
import { eventIdPrefix } from './identity.js';
import { openArchive } from './archive.js';
import type { ProgressSnapshot } from './progress.js';

export interface BackfillOptions {
  /** Archived logs, oldest first (event time must move forward across files). */
  files: string[];
  parse(line: string): ParseResult;
  sources: Pick<SourcesConfig, 'host' | 'fingerprint_bytes' | 'max_line_bytes' | 'reject_raw_max_bytes'>;
  detector: DetectorConfig;
  /** Where events, rejects and alerts go; null: detect only. */
  store: Store | null;
  /** Rows per store insert. */
  batchSize?: number;
}

/** `backfill --json`'s summary (DESIGN.md). */
export interface BackfillSummary {
  lines: number;
  events: number;
  rejects: number;
  alerts: IncidentSummary[];
}

export class Backfill {
  readonly counts = { lines: 0, events: 0, rejects: 0 };
  private bytesDone = 0;
  private current: (() => number) | null = null;
  private bytesTotal = 0;

  constructor(private readonly options: BackfillOptions) {}

  progress(): ProgressSnapshot {
    return { lines: this.counts.lines, bytesDone: this.bytesDone + (this.current?.() ?? 0), bytesTotal: this.bytesTotal };
  }

  /** Sizes first (percent and ETA), then every file start to end through parser, store and detector. */
  async run(): Promise<BackfillSummary> {
    for (const f of this.options.files) this.bytesTotal += (await stat(f)).size;
    const { store } = this.options;
    const replay = await runDetectorOverEvents(this.events(), this.options.detector, store ? (a) => store.insertAlert(a) : undefined);
    await store?.flush();
    return { ...this.counts, alerts: replay.incidents };
  }

  private async *events(): AsyncGenerator<HaproxyEvent> {
    const { sources, store } = this.options;
    const host = sources.host ?? hostname();
    const batchSize = this.options.batchSize ?? 5000;
    let events: HaproxyEvent[] = [];
    let rejects: RejectRecord[] = [];
    // Store inserts resolve once durable (a batch timer may hold them): keep a few outstanding
    // instead of waiting for each; the store's own buffer bound gives backpressure.
    const writes: Promise<void>[] = [];
    const track = (p: Promise<void>) => {
      p.catch(() => undefined); // rethrown where it is awaited below
      writes.push(p);
    };
    const flush = async () => {
      if (store && events.length) track(store.insertEvents(events));
      if (store && rejects.length) track(store.insertRejects(rejects.map(({ event_id: _id, ...row }) => row)));
      events = [];
      rejects = [];
      while (writes.length > 8) await writes.shift();
    };
    for (const path of this.options.files) {
      const archive = await openArchive(path, sources.fingerprint_bytes);
      this.current = archive.consumed;
      const ctx: LineContext = {
        parse: this.options.parse,
        host,
        source: path,
        idPrefix: eventIdPrefix(host, archive.identity.fileId),
        rejectRawMaxBytes: sources.reject_raw_max_bytes,
        maxLineBytes: sources.max_line_bytes,
      };
      const splitter = new LineSplitter(0, sources.max_line_bytes);
      const handle = function* (this: Backfill, chunkLines: ReturnType<LineSplitter['push']>) {
        for (const line of chunkLines) {
          const outcome = lineOutcome(line, ctx);
          if (!outcome) continue;
          this.counts.lines++;
          if (outcome.event) {
            this.counts.events++;
            events.push(outcome.event);
            yield outcome.event;
          } else {
            this.counts.rejects++;
            rejects.push(outcome.reject);
          }
        }
      }.bind(this);
      for await (const chunk of archive.chunks) {
        yield* handle(splitter.push(chunk));
        if (events.length >= batchSize || rejects.length >= batchSize) await flush();
      }
      const last = splitter.flush();
      if (last) yield* handle([last]);
      this.bytesDone += archive.size;
      this.current = null;
    }
    await flush();
    await Promise.all(writes);
  }
}
