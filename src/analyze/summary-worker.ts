import { closeSync, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { createParser } from '../haproxy/parser.js';
import { SummaryBuilder } from './summary.js';
import { SummaryScan } from './summary-scan.js';
import { readRange, type PartJob, type PartResult } from './summary-parts.js';

/** One part of a file summarised in a worker thread (summary-parts.ts). */

const job = workerData as PartJob;
const builder = new SummaryBuilder();
let lines = new Int32Array(1024);
let reasonIds = new Int32Array(1024);
let rejects = 0;
const reasons: string[] = [];
const reasonIndex = new Map<string, number>();

function record(line: number, reason: string): void {
  if (rejects === lines.length) {
    const grow = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    lines = grow(lines);
    reasonIds = grow(reasonIds);
  }
  let id = reasonIndex.get(reason);
  if (id === undefined) {
    id = reasons.push(reason) - 1;
    reasonIndex.set(reason, id);
  }
  lines[rejects] = line;
  reasonIds[rejects++] = id;
}

const scan = new SummaryScan(builder, createParser({ format: job.format, timezone: job.timezone }), job.lean, (_s, n, r) => record(n, r));
const fd = openSync(job.path, 'r');
try {
  scan.begin(job.path);
  readRange(fd, job.start, job.end, (chunk) => scan.chunk(chunk));
  scan.end();
} finally {
  closeSync(fd);
}
const result: PartResult = {
  state: builder.state(),
  rejectLines: lines.subarray(0, rejects),
  rejectReasons: reasonIds.subarray(0, rejects),
  reasons,
};
parentPort!.postMessage(result);
