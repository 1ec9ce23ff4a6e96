// The encoding worker thread of WorkerEncoder (encoder.ts): parses and encodes each chunk it is
// sent with its own parser, built from the pipeline's parser options (workerData), and packs the
// events' JSON into one transferred buffer (packed-events.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { createParser, type ParserOptions } from '../haproxy/parser.js';
import { eventKey } from '../haproxy/event.js';
import { lineOutcome, type LineContext } from './record.js';
import { KeyTable, PackedWriter } from './packed-events.js';
import type { EncodeReply, EncodeRequest } from './encoder.js';

const parse = createParser(workerData as ParserOptions);
const keys = new KeyTable();
/** JSON is about 5.3 times the log line (generated httplog); the writer grows when it is more. */
const JSON_PER_LINE_BYTE = 6;

function encodeChunk(req: EncodeRequest): { reply: EncodeReply; transfer: ArrayBuffer[] } {
  const texts = req.texts.split('\n');
  const ctx: LineContext = { ...req.ctx, parse };
  const writer = new PackedWriter(texts.length, req.texts.length * JSON_PER_LINE_BYTE);
  const rejects: string[] = [];
  let read = 0;
  let truncated = 0;
  for (let i = 0; i < texts.length; i++) {
    const isTruncated = req.truncated[truncated] === i;
    if (isTruncated) truncated++;
    const outcome = lineOutcome({ text: texts[i], offset: req.offsets[i], end: req.ends[i], truncated: isTruncated }, ctx);
    if (!outcome) continue;
    read++;
    if (outcome.event) writer.add(keys.id(eventKey(outcome.event)), JSON.stringify(outcome.event));
    else rejects.push(JSON.stringify(outcome.reject));
  }
  const { packed, transfer } = writer.finish(keys);
  return { reply: { events: packed, rejects, read }, transfer };
}

parentPort!.on('message', (req: EncodeRequest) => {
  try {
    const { reply, transfer } = encodeChunk(req);
    parentPort!.postMessage(reply, transfer);
  } catch (err) {
    // Keys handed out for the failed chunk never reached the main thread: start the table again.
    keys.clear();
    parentPort!.postMessage({ events: null, rejects: [], read: 0, error: (err as Error).message } satisfies EncodeReply);
  }
});
