import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SummaryBuilder, SummaryState } from './summary.js';
import type { RejectReporter, SummaryScan } from './summary-scan.js';

/**
 * `parse --summary` over a large plain file on several cores: the file is cut into parts at
 * line starts; the calling thread scans the first part while worker threads
 * (summary-worker.ts) scan the others; the parts' counts are merged and their rejects reported
 * in file order with their real line numbers. Gzip, stdin and small files are scanned in one
 * thread (the caller's usual path).
 */

export interface PartJob {
  path: string;
  start: number;
  end: number;
  format: string;
  timezone: string;
  lean: boolean;
}

/** What a worker sends back: its counts and its rejects (line numbers relative to its part). */
export interface PartResult {
  state: SummaryState;
  rejectLines: Int32Array;
  rejectReasons: Int32Array;
  reasons: string[];
}

const READ_SIZE = 1024 * 1024;
const WORKER = new URL('./summary-worker.js', import.meta.url);

/** Below this size one thread is faster than starting workers. */
const MIN_BYTES = Number(process.env.BREAKWATER_PARALLEL_MIN_BYTES ?? 64 * 1024 * 1024);

function threads(): number {
  const configured = Number(process.env.BREAKWATER_SUMMARY_THREADS);
  return configured >= 1 ? Math.floor(configured) : Math.min(availableParallelism(), 4);
}

/** Feeds the bytes [start, end) of fd to `onChunk`, in large reads; the chunk buffer is reused. */
export function readRange(fd: number, start: number, end: number, onChunk: (chunk: Buffer) => void): void {
  const buf = Buffer.allocUnsafe(READ_SIZE);
  let pos = start;
  while (pos < end) {
    const n = readSync(fd, buf, 0, Math.min(READ_SIZE, end - pos), pos);
    if (n === 0) break;
    onChunk(buf.subarray(0, n));
    pos += n;
  }
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

function runPart(job: PartJob): Promise<PartResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: job });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`summary worker exited with code ${code}`)));
  });
}

/**
 * Summarises the plain file at `path` in parts when it is large enough and there is more than
 * one core; returns false (nothing read) when the caller should scan it in one thread instead.
 */
export async function summariseInParts(
  path: string,
  source: string,
  options: Omit<PartJob, 'path' | 'start' | 'end'>,
  scan: SummaryScan,
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
    for (let i = 1; i < n; i++) {
      const s = lineStartAfter(fd, Math.floor((stat.size * i) / n), stat.size);
      if (s > starts[starts.length - 1] && s < stat.size) starts.push(s);
    }
    if (starts.length < 2) return false;
    const parts = starts.slice(1).map((start, i) => runPart({ path, start, end: starts[i + 2] ?? stat.size, ...options }));
    // A failed part must not become an unhandled rejection while this thread is busy.
    for (const p of parts) p.catch(() => {});

    scan.begin(source);
    const buf = Buffer.allocUnsafe(READ_SIZE);
    for (let pos = 0; pos < starts[1]; ) {
      const got = readSync(fd, buf, 0, Math.min(READ_SIZE, starts[1] - pos), pos);
      if (got === 0) break;
      scan.chunk(buf.subarray(0, got));
      pos += got;
      await pause();
    }
    scan.end();
    let offset = scan.lineCount;
    for (const part of parts) {
      const r = await part;
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
