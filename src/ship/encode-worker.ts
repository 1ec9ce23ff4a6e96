// The encoding worker thread of WorkerEncoder (encoder.ts): parses and encodes each chunk it is
// sent with its own parser, built from the pipeline's parser options (workerData).
import { parentPort, workerData } from 'node:worker_threads';
import { createParser, type ParserOptions } from '../haproxy/parser.js';
import { encodeLines, type EncodeReply, type EncodeRequest } from './encoder.js';
import type { Line } from './lines.js';

const parse = createParser(workerData as ParserOptions);

parentPort!.on('message', (req: EncodeRequest) => {
  let reply: EncodeReply;
  try {
    const texts = req.texts.split('\n');
    const truncated = new Set(req.truncated);
    const lines: Line[] = req.offsets.map((offset, i) => ({ text: texts[i], offset, end: req.ends[i], truncated: truncated.has(i) }));
    const { events, rejects, read } = encodeLines(lines, { ...req.ctx, parse });
    reply = {
      keys: events.map((e) => e.key ?? '').join('\n'),
      values: events.map((e) => e.value as string).join('\n'),
      rejects: rejects.map((r) => r.value as string),
      read,
    };
  } catch (err) {
    reply = { keys: '', values: '', rejects: [], read: 0, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
