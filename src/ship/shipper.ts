import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { TOPICS, type Bus, type OutgoingMessage } from '../bus/bus.js';
import type { ParseResult } from '../haproxy/event.js';
import type { SourcesConfig } from '../config/sources.js';
import { log } from '../observe/log.js';
import { metrics as defaultRegistry, type Registry } from '../observe/metrics.js';
import { identify, samePrefix, type FileIdentity } from './identity.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointState, type FileCheckpoint } from './checkpoint.js';
import { expandGlob, globRegExp, hasWildcard } from './glob.js';
import { FileTail } from './tail.js';
import { inThreadEncoder, type ChunkContext, type LineEncoder } from './encoder.js';
import type { Line } from './lines.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ShipperOptions {
  sources: SourcesConfig;
  bus: Bus;
  parse(line: string): ParseResult;
  /** Parses and encodes off the calling thread (WorkerEncoder); default: `parse` on this thread. */
  encoder?: LineEncoder;
  registry?: Registry;
  /** How long stop() waits for unacknowledged batches before giving up on them. */
  drainTimeoutMs?: number;
}

const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|zip)$/;

function shipMetrics(registry: Registry) {
  return {
    lines: registry.counter('breakwater_ship_lines_read_total', 'Log lines read (blank lines excluded), by file.', ['file']),
    events: registry.counter('breakwater_ship_events_sent_total', 'Parsed events acknowledged by the bus.'),
    rejects: registry.counter('breakwater_ship_rejects_total', 'Lines that did not parse, acknowledged on haproxy.rejects.'),
    behind: registry.gauge('breakwater_ship_bytes_behind', 'Bytes of a file not yet acknowledged by the bus.', ['file']),
    sendSeconds: registry.histogram('breakwater_ship_send_seconds', 'Time from handing a batch to the bus to its acknowledgement.'),
    inflight: registry.gauge('breakwater_ship_inflight_bytes', 'Log bytes read and not yet acknowledged (bounded by sources.max_inflight_bytes).'),
    paused: registry.gauge('breakwater_ship_backpressure', '1 while reading is paused because max_inflight_bytes is reached.'),
    sendErrors: registry.counter('breakwater_ship_send_errors_total', 'Failed publishes (retried with backoff).'),
    rotations: registry.counter('breakwater_ship_rotations_total', 'Files renamed, deleted or replaced while tailed.'),
    truncations: registry.counter('breakwater_ship_truncations_total', 'Files that shrank or got new content under the same inode (copytruncate).'),
    files: registry.gauge('breakwater_ship_files', 'Open files (tailed and draining).'),
  };
}

/**
 * Tails the configured files and publishes each line as an event (haproxy.events) or a reject
 * (haproxy.rejects). Offsets advance in the checkpoint only once the bus acknowledged every line
 * before them; reading pauses while `max_inflight_bytes` are unacknowledged; failed publishes are
 * retried with backoff until they succeed, so a slow or absent Kafka delays lines, never loses them.
 */
export class Shipper {
  private readonly tails: FileTail[] = [];
  private readonly host: string;
  private readonly checkpointPath: string;
  private readonly buf: Buffer;
  private readonly m: ReturnType<typeof shipMetrics>;
  private previous: CheckpointState | null = null;
  private firstScan = true;
  private inflightBytes = 0;
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wakeup: (() => void) | null = null;
  private watchers = new Map<string, FSWatcher>();
  private lastScan = 0;
  private lastCheckpoint = 0;
  private checkpointDirty = false;
  private lastAckAt = Date.now();
  private readonly unmetrics: () => void;
  private readonly encoder: LineEncoder;

  constructor(private readonly options: ShipperOptions) {
    const s = options.sources;
    this.host = s.host ?? hostname();
    this.checkpointPath = isAbsolute(s.checkpoint_file) ? s.checkpoint_file : resolve(s.checkpoint_file);
    this.buf = Buffer.allocUnsafe(s.read_chunk_bytes);
    this.encoder = options.encoder ?? inThreadEncoder(options.parse);
    const registry = options.registry ?? defaultRegistry;
    this.m = shipMetrics(registry);
    this.unmetrics = registry.onCollect(() => {
      for (const t of this.tails) this.m.behind.set({ file: t.path }, t.bytesBehind);
      this.m.inflight.set({}, this.inflightBytes);
      this.m.files.set({}, this.tails.length);
    });
  }

  async start(): Promise<void> {
    this.previous = await loadCheckpoint(this.checkpointPath);
    await this.scan();
    await this.recoverUnmatched();
    this.firstScan = false;
    this.watchDirectories();
    log.info({ files: this.tails.map((t) => ({ path: t.path, offset: t.readOffset })), checkpoint: this.checkpointPath, host: this.host }, 'shipper started');
    this.loop = this.run();
  }

  /** Stops reading, waits (bounded) for unacknowledged batches, writes the checkpoint, closes files. */
  async stop(): Promise<void> {
    if (this.stopping || !this.loop) return;
    this.stopping = true;
    this.wake();
    await this.loop;
    const deadline = Date.now() + (this.options.drainTimeoutMs ?? 10_000);
    while (this.inflightBytes > 0 && Date.now() < deadline) await sleep(20);
    if (this.inflightBytes > 0) log.warn({ inflight_bytes: this.inflightBytes }, 'stopping with unacknowledged batches; they are read again at the next start');
    await this.writeCheckpoint();
    for (const w of this.watchers.values()) w.close();
    for (const t of this.tails) await t.close();
    this.tails.length = 0;
    await this.encoder.close();
    this.unmetrics();
  }

  /** Seconds since the bus last acknowledged something while batches wait (readiness). */
  stalledFor(): number {
    return this.inflightBytes > 0 ? (Date.now() - this.lastAckAt) / 1000 : 0;
  }

  get files(): { path: string; offset: number; acked: number; size: number }[] {
    return this.tails.map((t) => ({ path: t.path, offset: t.readOffset, acked: t.ackedOffset, size: t.size }));
  }

  private wake(): void {
    const w = this.wakeup;
    this.wakeup = null;
    w?.();
  }

  private idle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wakeup = null;
        resolve();
      }, ms);
      this.wakeup = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    const s = this.options.sources;
    while (!this.stopping) {
      try {
        const now = Date.now();
        if (now - this.lastScan >= s.rescan_interval_ms) await this.scan();
        const progressed = await this.readAll();
        await this.retireFinished();
        if (this.checkpointDirty && Date.now() - this.lastCheckpoint >= s.checkpoint_interval_ms) await this.writeCheckpoint();
        if (this.inflightBytes >= s.max_inflight_bytes) {
          this.m.paused.set({}, 1);
          await this.idle(s.poll_interval_ms);
        } else {
          this.m.paused.set({}, 0);
          if (!progressed) await this.idle(s.poll_interval_ms);
        }
      } catch (err) {
        log.error({ err }, 'shipper loop error; retrying');
        await this.idle(1000);
      }
    }
  }

  /** Reads every file up to the in-flight bound; a few chunks per file per round for fairness. */
  private async readAll(): Promise<boolean> {
    const s = this.options.sources;
    let progressed = false;
    for (const t of [...this.tails]) {
      if (t.atEof && !t.finished && !(await this.verify(t))) continue;
      for (let i = 0; i < 8 && !this.stopping && this.inflightBytes < s.max_inflight_bytes; i++) {
        const chunk = await t.read(this.buf);
        if (!chunk) break;
        progressed = true;
        this.dispatch(t, chunk.lines);
      }
      if (t.rotatedAt !== null && !t.finished && Date.now() - t.lastDataAt >= s.rotate_wait_ms && t.readOffset >= t.size) {
        // Re-check: a writer may have appended since the last read.
        const more = await t.read(this.buf);
        if (more) {
          this.dispatch(t, more.lines);
          progressed = true;
          continue;
        }
        const last = t.finish();
        if (last) this.dispatch(t, [last]);
        log.info({ path: t.path, offset: t.readOffset }, 'rotated file read to its end');
      }
    }
    return progressed;
  }

  /**
   * Before reading what was appended after an end of file: is it still the same content? A file
   * truncated (and perhaps refilled past our offset) between two reads must not be read on from
   * the old offset. False when it was truncated (handled).
   */
  private async verify(t: FileTail): Promise<boolean> {
    const size = (await t.fh.stat()).size;
    if (size === t.readOffset) return true;
    if (size > t.readOffset && (await samePrefix(t.fh, t.id))) {
      t.size = size;
      return true;
    }
    await this.truncated(t, size);
    return false;
  }

  private dispatch(t: FileTail, lines: Line[]): void {
    if (lines.length === 0) return;
    const s = this.options.sources;
    const ctx: ChunkContext = {
      host: this.host,
      source: t.path,
      idPrefix: t.idPrefix,
      rejectRawMaxBytes: s.reject_raw_max_bytes,
      maxLineBytes: s.max_line_bytes,
    };
    // Tracked now, in read order: acknowledgements advance the checkpoint in that order.
    const bytes = lines[lines.length - 1].end - lines[0].offset;
    const entry = t.track(lines[lines.length - 1].end);
    this.inflightBytes += bytes;
    void this.encoded(lines, ctx).then(async ({ events, rejects, read }) => {
      this.m.lines.inc({ file: ctx.source }, read);
      const done = this.m.sendSeconds.startTimer();
      await this.send(events, rejects);
      done();
      this.m.events.inc({}, events.length);
      this.m.rejects.inc({}, rejects.length);
      t.ack(entry);
      this.inflightBytes -= bytes;
      this.lastAckAt = Date.now();
      this.checkpointDirty = true;
      this.wake();
    });
  }

  /** Encodes a chunk; a failing worker is retried after a backoff (the lines are never dropped). */
  private async encoded(lines: Line[], ctx: ChunkContext) {
    for (let backoff = 200; ; backoff = Math.min(backoff * 2, 10_000)) {
      try {
        return await this.encoder.encode(lines, ctx);
      } catch (err) {
        log.error({ err: (err as Error).message, retry_in_ms: backoff }, 'encoding failed; retrying');
        await sleep(backoff);
      }
    }
  }

  /** Publishes until acknowledged. Gives up only when stopping and the bus refuses (closed). */
  private async send(events: OutgoingMessage[], rejects: OutgoingMessage[]): Promise<void> {
    let backoff = 200;
    for (;;) {
      try {
        await Promise.all([
          events.length ? this.options.bus.publish(TOPICS.events, events) : undefined,
          rejects.length ? this.options.bus.publish(TOPICS.rejects, rejects) : undefined,
        ]);
        return;
      } catch (err) {
        this.m.sendErrors.inc();
        if (this.stopping) {
          log.warn({ err: (err as Error).message }, 'publish failed while stopping; the batch is read again at the next start');
          return new Promise<void>(() => undefined);
        }
        log.warn({ err: (err as Error).message, retry_in_ms: backoff }, 'publish failed; retrying');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  private async writeCheckpoint(): Promise<void> {
    const files = this.tails.map((t) => t.checkpoint());
    await saveCheckpoint(this.checkpointPath, {
      version: 1,
      patterns: this.options.sources.files.map((p) => resolve(p)),
      saved_at: new Date().toISOString(),
      files,
    });
    this.lastCheckpoint = Date.now();
    this.checkpointDirty = false;
  }

  private async retireFinished(): Promise<void> {
    for (const t of [...this.tails]) {
      if (!t.finished || !t.settled) continue;
      await t.close();
      this.tails.splice(this.tails.indexOf(t), 1);
      this.m.behind.remove({ file: t.path });
      this.m.lines.remove({ file: t.path });
      this.checkpointDirty = true;
    }
  }

  private live(): FileTail[] {
    return this.tails.filter((t) => !t.finished);
  }

  private markRotated(t: FileTail, why: string): void {
    if (t.rotatedAt !== null) return;
    t.rotatedAt = Date.now();
    this.m.rotations.inc();
    log.info({ path: t.path, why, offset: t.readOffset }, 'file rotated; reading it to its end');
  }

  /** Expands the globs, opens new files, notices rotation (rename, delete, replace) and truncation. */
  private async scan(): Promise<void> {
    this.lastScan = Date.now();
    const paths = new Set<string>();
    for (const pattern of this.options.sources.files) for (const p of await expandGlob(pattern)) paths.add(p);
    const seen = new Set<FileTail>();
    for (const path of paths) {
      let st;
      try {
        st = await stat(path);
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      const atPath = this.live().find((t) => t.path === path && t.rotatedAt === null);
      if (atPath && atPath.id.dev === st.dev && atPath.id.ino === st.ino) {
        seen.add(atPath);
        atPath.size = st.size;
        if (st.size < atPath.readOffset || !(await samePrefix(atPath.fh, atPath.id))) await this.truncated(atPath, st.size);
        continue;
      }
      if (atPath) this.markRotated(atPath, 'replaced');
      // The same file under another matching name (renamed into the glob): follow it there.
      const moved = this.live().find((t) => t.id.dev === st.dev && t.id.ino === st.ino);
      if (moved) {
        if (!seen.has(moved)) {
          this.renameTail(moved, path);
          moved.rotatedAt = null;
        }
        seen.add(moved);
        continue;
      }
      const t = await this.openTail(path);
      if (t) seen.add(t);
    }
    for (const t of this.live()) if (!seen.has(t)) this.markRotated(t, 'renamed or deleted');
  }

  private renameTail(t: FileTail, path: string): void {
    this.m.behind.remove({ file: t.path });
    this.m.lines.remove({ file: t.path });
    t.path = path;
  }

  private async openTail(path: string): Promise<FileTail | null> {
    const s = this.options.sources;
    let fh;
    try {
      fh = await FileTail.open(path);
    } catch (err) {
      log.warn({ path, err: (err as Error).message }, 'cannot open log file');
      return null;
    }
    const id = await identify(fh, s.fingerprint_bytes);
    const size = (await fh.stat()).size;
    const saved = await this.checkpointFor(fh, id);
    let t: FileTail;
    if (saved && saved.offset <= size) {
      t = new FileTail(path, fh, this.savedIdentity(saved, id), saved.offset, this.host, s, true);
    } else {
      if (saved) {
        log.warn({ path, checkpoint: saved.offset, size }, 'file is shorter than its checkpoint: truncated while stopped; reading it from the start');
        await this.recoverCopy(saved, path);
      }
      const offset = this.startOffsetFor(path, saved !== null) === 'end' ? await lastLineStart(fh, size, s.max_line_bytes) : 0;
      t = new FileTail(path, fh, id, offset, this.host, s);
    }
    t.size = size;
    this.tails.push(t);
    this.checkpointDirty = true;
    log.info({ path, offset: t.readOffset, size, resumed: Boolean(saved && saved.offset <= size) }, 'tailing file');
    return t;
  }

  /** The checkpoint entry of this very file (device, inode and the fingerprinted prefix agree). */
  private async checkpointFor(fh: FileTail['fh'], id: FileIdentity): Promise<FileCheckpoint | null> {
    if (!this.firstScan || !this.previous) return null;
    for (const c of this.previous.files) {
      if (c.dev === id.dev && c.ino === id.ino && (await samePrefix(fh, c))) {
        this.previous.files.splice(this.previous.files.indexOf(c), 1);
        return c;
      }
    }
    return null;
  }

  private savedIdentity(saved: FileCheckpoint, current: FileIdentity): FileIdentity {
    // Keep the saved fileId (event ids stay stable), take the longer fingerprint when it grew.
    const longer = current.fingerprintBytes > saved.fingerprintBytes ? current : saved;
    return { dev: current.dev, ino: current.ino, fingerprint: longer.fingerprint, fingerprintBytes: longer.fingerprintBytes, fileId: saved.fileId };
  }

  private startOffsetFor(path: string, truncatedWhileStopped: boolean): 'end' | 'beginning' {
    if (!this.firstScan || truncatedWhileStopped) return 'beginning';
    // A file matching a pattern of the previous run, without a checkpoint, appeared since (rotation while stopped).
    if (this.previous && this.previous.patterns.some((p) => matchesPattern(p, path))) return 'beginning';
    return this.options.sources.start_at;
  }

  /**
   * Checkpointed files that no pattern matches any more (rotated to an unmatched name while
   * stopped): find them beside their old path by identity and read what was left.
   */
  private async recoverUnmatched(): Promise<void> {
    for (const c of this.previous?.files ?? []) {
      // The same inode renamed, or (copytruncate while stopped) a copy with the same first bytes.
      const t = await this.findSibling(c, c.path, () => true);
      if (t) {
        this.markRotated(t, 'rotated while stopped');
        log.info({ path: t.path, was: c.path, offset: c.offset }, 'found a rotated file beside its old name; reading the rest');
      } else log.warn({ path: c.path, offset: c.offset }, 'checkpointed file not found (deleted while stopped?)');
    }
    if (this.previous) this.previous.files = [];
  }

  /** Looks for a copy of `saved` (same first bytes, at least as long) beside `path`: copytruncate. */
  private async recoverCopy(saved: FileCheckpoint, path: string): Promise<FileTail | null> {
    const t = await this.findSibling(saved, path, (st) => !(st.dev === saved.dev && st.ino === saved.ino));
    if (t) {
      this.markRotated(t, 'copy of a truncated file');
      log.info({ copy: t.path, offset: saved.offset }, 'reading the rest of a truncated file from its copy');
    }
    return t;
  }

  private async findSibling(saved: FileCheckpoint, path: string, accept: (st: { dev: number; ino: number }) => boolean): Promise<FileTail | null> {
    const dir = dirname(path);
    const base = basename(path);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return null;
    }
    for (const name of names.sort()) {
      if (name === base || !name.startsWith(base) || COMPRESSED.test(name)) continue;
      const candidate = join(dir, name);
      let fh;
      try {
        fh = await FileTail.open(candidate);
      } catch {
        continue;
      }
      const st = await fh.stat();
      const beingRead = this.live().some((t) => t.id.dev === st.dev && t.id.ino === st.ino);
      if (st.isFile() && !beingRead && accept(st) && st.size >= saved.offset && (await samePrefix(fh, saved))) {
        const t = new FileTail(candidate, fh, { ...saved, dev: st.dev, ino: st.ino }, saved.offset, this.host, this.options.sources, true);
        t.size = st.size;
        this.tails.push(t);
        return t;
      }
      await fh.close();
    }
    return null;
  }

  /**
   * The file at t.path shrank or holds new content under the same inode (copytruncate). What was
   * written after our read offset before the truncation is in the copy, if the copy sits beside
   * it: the tail moves to the copy and reads it to its end. The path is then tailed from 0.
   */
  private async truncated(t: FileTail, size: number): Promise<void> {
    this.m.truncations.inc();
    const truncatedFh = t.fh;
    const path = t.path;
    const wasRotated = t.rotatedAt;
    log.warn({ path: t.path, offset: t.readOffset, size }, 'file truncated (copytruncate?)');
    const copy = await this.recoverCopy(t.checkpoint(), t.path);
    if (copy) {
      // The copy continues this tail: same fileId, same pending acks.
      this.tails.splice(this.tails.indexOf(copy), 1);
      t.fh = copy.fh;
      t.id = copy.id;
      t.size = copy.size;
      this.renameTail(t, copy.path);
      t.rotatedAt = copy.rotatedAt;
    } else {
      log.warn({ path: t.path, offset: t.readOffset }, 'no copy of the truncated file found beside it: lines written after the last read before the truncation are lost');
      t.finished = true;
      t.ownsHandle = false;
    }
    // The truncated inode itself holds new content: a new identity, read from 0.
    const id = await identify(truncatedFh, this.options.sources.fingerprint_bytes);
    const fresh = new FileTail(path, truncatedFh, id, 0, this.host, this.options.sources);
    fresh.size = size;
    fresh.rotatedAt = wasRotated;
    this.tails.push(fresh);
    this.checkpointDirty = true;
  }

  /** fs.watch on the directories of the patterns: wakes the loop at once when a file changes. */
  private watchDirectories(): void {
    for (const pattern of this.options.sources.files) {
      const dir = dirname(resolve(pattern));
      if (hasWildcard(dir) || this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (eventType) => {
          // A name appeared, vanished or moved: look at the files now, not at the next rescan.
          if (eventType === 'rename') this.lastScan = 0;
          this.wake();
        });
        w.on('error', () => w.close());
        this.watchers.set(dir, w);
      } catch {
        // Polling (poll_interval_ms) covers directories that cannot be watched.
      }
    }
  }
}

function matchesPattern(pattern: string, path: string): boolean {
  return hasWildcard(pattern) ? globRegExp(resolve(pattern)).test(path) : resolve(pattern) === path;
}

/** Offset just after the last newline before `size` (start at the end, but on a line boundary). */
async function lastLineStart(fh: FileTail['fh'], size: number, maxLineBytes: number): Promise<number> {
  const step = 64 * 1024;
  const buf = Buffer.allocUnsafe(step);
  let end = size;
  while (end > 0 && size - end <= maxLineBytes) {
    const start = Math.max(0, end - step);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (nl !== -1) return start + nl + 1;
    end = start;
  }
  return end === 0 ? 0 : size;
}
