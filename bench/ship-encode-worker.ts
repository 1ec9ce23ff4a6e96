/**
 * bench:ship's worker-thread stage: parses and encodes chunks of lines off the main thread. Gets
 * a chunk of lines (one string, '\n'-separated); answers with the keys and the JSON values of its
 * events, each '\n'-joined (JSON text holds no raw newline), which is cheap to pass between threads.
 */
import { parentPort } from 'node:worker_threads';
import { createParser } from '../src/haproxy/parser.js';
import { eventKey } from '../src/haproxy/event.js';

const parse = createParser();
parentPort!.on('message', (chunk: string) => {
  const keys: string[] = [];
  const values: string[] = [];
  for (const line of chunk.split('\n')) {
    const r = parse(line);
    if (!r.ok) continue;
    keys.push(eventKey(r.event));
    values.push(JSON.stringify(r.event));
  }
  parentPort!.postMessage({ keys: keys.join('\n'), values: values.join('\n') });
});
