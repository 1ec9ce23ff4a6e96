import { closeSync, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { scanBlocks, type PartsJob } from './summary-parts.js';
import { LazyParser } from './summary-scan.js';

/** A worker thread of summary-parts.ts: scans blocks of the file until none is left. */

const job = workerData as PartsJob;
const fd = openSync(job.path, 'r');
try {
  parentPort!.postMessage(await scanBlocks(fd, job, new LazyParser({ format: job.format, timezone: job.timezone })));
} finally {
  closeSync(fd);
}
