// The encoding worker thread of WorkerEncoder (encoder.ts): parses and encodes each chunk it is
// sent with its own parser, built from the pipeline's parser options (workerData), and hands the
// events back packed in transferred buffers (packed-events.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { createParser, type ParserOptions } from '../haproxy/parser.js';
import { KeyTable } from './packed-events.js';
import { packLines, type EncodeReply, type EncodeRequest } from './encoder.js';
import type { Line } from './lines.js';

const parse = createParser(workerData as ParserOptions);
const keys = new KeyTable();

parentPort!.on('message', (req: EncodeRequest) => {
  try {
    const texts = req.texts.split('\n');
    const truncated = new Set(req.truncated);
    const lines: Line[] = req.offsets.map((offset, i) => ({ text: texts[i], offset, end: req.ends[i], truncated: truncated.has(i) }));
    const { events, rejects, read, transfer } = packLines(lines, { ...req.ctx, parse }, keys);
    parentPort!.postMessage({ events, rejects, read } satisfies EncodeReply, transfer);
  } catch (err) {
    // Keys taken for a reply that was not delivered never reach the main thread: start again from id 0.
    keys.clear();
    parentPort!.postMessage({ events: null, rejects: [], read: 0, error: (err as Error).message } satisfies EncodeReply);
  }
});
