import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SummaryBuilder, type SummaryState } from './summary.js';
import { SummaryScan, type LazyParser, type RejectReporter } from './summary-scan.js';

/**
 * `parse --summary` over a large plain file on several cores: the file is cut into blocks at
 * line starts, and the calling thread and worker threads (summary-worker.ts) take the next
 * unscanned block from a shared counter until none is left. A thread that starts late or runs
 * on a busier core simply takes fewer blocks, so all finish together. The blocks' counts are
 * merged and their rejects reported in file order with their real line numbers. Gzip, stdin
 * and small files are scanned in one thread (the caller's usual path).
 */

export interface PartsJob {
  path: string;
  /** Block i is [starts[i], starts[i + 1]); the last one ends at `size`. */
  starts: number[];
  size: number;
  /** Int32Array[1] on it: the next block to take (Atomics.add). */
  next: SharedArrayBuffer;
  format: string;
  timezone: string;
  lean: boolean;
}

/** One block's counts and rejects (line numbers relative to the block). */
export interface BlockResult {
  index: number;
  state: SummaryState;
  rejectLines: Int32Array;
  rejectReasons: Int32Array;
  reasons: string[];
}

const READ_SIZE = 1024 * 1024;
const WORKER = new URL('./summary-worker.js', import.meta.url);

/** Below this size one thread is faster than starting workers. */
const MIN_BYTES = Number(process.env.BREAKWATER_PARALLEL_MIN_BYTES ?? 64 * 1024 * 1024);
/** Small enough that the threads finish within ~10 ms of each other, large enough to cost nothing per block. */
const BLOCK_BYTES = Number(process.env.BREAKWATER_SUMMARY_BLOCK_BYTES ?? 4 * 1024 * 1024);

function threads(): number {
  const configured = Number(process.env.BREAKWATER_SUMMARY_THREADS);
  return configured >= 1 ? Math.floor(configured) : Math.min(availableParallelism(), 4);
}

/** Rejects of one block, packed (a file of junk has a reject per line). */
class RejectList {
  lines: Int32Array<ArrayBuffer> = new Int32Array(1024);
  reasonIds: Int32Array<ArrayBuffer> = new Int32Array(1024);
  count = 0;
  readonly reasons: string[] = [];
  private readonly reasonIndex = new Map<string, number>();

  readonly record: RejectReporter = (_source, line, reason) => {
    if (this.count === this.lines.length) {
      this.lines = grow(this.lines);
      this.reasonIds = grow(this.reasonIds);
    }
    let id = this.reasonIndex.get(reason);
    if (id === undefined) {
      id = this.reasons.push(reason) - 1;
      this.reasonIndex.set(reason, id);
    }
    this.lines[this.count] = line;
    this.reasonIds[this.count++] = id;
  };
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/**
 * Scans blocks of the job's file, taken from the shared counter, until none is left (in the
 * calling thread and in every worker).
 */
export async function scanBlocks(fd: number, job: PartsJob, parser: LazyParser): Promise<BlockResult[]> {
  const next = new Int32Array(job.next);
  const buf = Buffer.allocUnsafe(READ_SIZE);
  const results: BlockResult[] = [];
  // One scan for all the blocks of this thread, so that what its lean reader learnt stays.
  const scan = new SummaryScan(new SummaryBuilder(), parser, job.lean, () => {});
  for (let index = Atomics.add(next, 0, 1); index < job.starts.length; index = Atomics.add(next, 0, 1)) {
    const builder = new SummaryBuilder();
    const rejects = new RejectList();
    scan.countInto(builder, rejects.record);
    scan.begin(job.path);
    const end = job.starts[index + 1] ?? job.size;
    for (let pos = job.starts[index]; pos < end; ) {
      const n = readSync(fd, buf, 0, Math.min(READ_SIZE, end - pos), pos);
      if (n === 0) break;
      scan.chunk(buf.subarray(0, n));
      await scan.settle();
      pos += n;
    }
    scan.end();
    await scan.settle();
    results.push({
      index,
      state: builder.state(),
      rejectLines: rejects.lines.subarray(0, rejects.count),
      rejectReasons: rejects.reasonIds.subarray(0, rejects.count),
      reasons: rejects.reasons,
    });
  }
  return results;
}

/** The first line start at or after `from` (end of file when none). */
function lineStartAfter(fd: number, from: number, size: number): number {
  const buf = Buffer.allocUnsafe(64 * 1024);
  let pos = from;
  while (pos < size) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    const nl = buf.subarray(0, n).indexOf(0x0a);
    if (nl >= 0) return pos + nl + 1;
    pos += n;
  }
  return size;
}

function runWorker(job: PartsJob): Promise<BlockResult[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: job });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`summary worker exited with code ${code}`)));
  });
}

/**
 * Summarises the plain file at `path` in blocks on several threads when it is large enough and
 * there is more than one core; returns false (nothing read) when the caller should scan it in
 * one thread instead.
 */
export async function summariseInParts(
  path: string,
  source: string,
  options: Pick<PartsJob, 'format' | 'timezone' | 'lean'>,
  parser: LazyParser,
  builder: SummaryBuilder,
  onReject: RejectReporter,
  pause: () => Promise<void>,
): Promise<boolean> {
  const n = threads();
  if (n < 2 || !existsSync(fileURLToPath(WORKER))) return false;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false; // the one-thread path reports it
  }
  try {
    const stat = fstatSync(fd);
    const head = Buffer.alloc(2);
    if (!stat.isFile() || stat.size < MIN_BYTES || readSync(fd, head, 0, 2, 0) < 2) return false;
    if (head[0] === 0x1f && head[1] === 0x8b) return false;
    const starts = [0];
    for (let at = BLOCK_BYTES; at < stat.size; at += BLOCK_BYTES) {
      const s = lineStartAfter(fd, Math.max(at, starts[starts.length - 1]), stat.size);
      if (s >= stat.size) break;
      if (s > starts[starts.length - 1]) starts.push(s);
    }
    const job: PartsJob = { path, starts, size: stat.size, next: new SharedArrayBuffer(4), ...options };
    const workers = Array.from({ length: Math.min(n, starts.length) - 1 }, () => runWorker(job));
    // A failed worker must not become an unhandled rejection while this thread is busy.
    for (const w of workers) w.catch(() => {});
    const blocks = await scanBlocks(fd, job, parser);
    for (const w of workers) blocks.push(...(await w));
    blocks.sort((a, b) => a.index - b.index);
    if (blocks.length !== starts.length) throw new Error(`summary: ${blocks.length} of ${starts.length} blocks scanned`);

    let offset = 0;
    for (const r of blocks) {
      builder.merge(r.state);
      for (let i = 0; i < r.rejectLines.length; i++) onReject(source, offset + r.rejectLines[i], r.reasons[r.rejectReasons[i]]);
      await pause();
      offset += r.state.lines;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}
