import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inThreadEncoder, WorkerEncoder, type ChunkContext } from '../../../src/ship/encoder.js';
import { lineOutcome } from '../../../src/ship/record.js';
import type { Line } from '../../../src/ship/lines.js';
import { createParser } from '../../../src/haproxy/parser.js';
import { eventKey } from '../../../src/haproxy/event.js';
import { generateHttpLogLines } from '../../../bench/gen-lines.js';
import { CORPUS_LOGS, corpusLines, requireCorpus } from '../conformance/corpus.js';
import { mixedLines, rng } from '../haproxy/generate.js';

const ctx: ChunkContext = { host: 'lb1', source: '/var/log/haproxy.log', idPrefix: '0123456789abcdef', rejectRawMaxBytes: 4096, maxLineBytes: 65536 };

/** Corpus lines, generated httplog lines, generated/mutated/junk lines of every prefix and format. */
function texts(): string[] {
  requireCorpus();
  const out = CORPUS_LOGS.flatMap((f) => corpusLines(f).map((l) => l.text));
  out.push(...generateHttpLogLines(20_000, { seed: 4, failureRate: 0.2 }));
  out.push(...mixedLines(rng(17), 20_000));
  // The shipper's lines hold no newline.
  return out.map((t) => t.replace(/\n/g, ' '));
}

/**
 * The bytes, compared as latin1 text (one character per byte), the leading timestamp blanked:
 * lines without a date of their own are stamped with the clock when parsed.
 */
const unclocked = (bytes: Buffer) => bytes.toString('latin1').replace(/^\{"timestamp":"[^"]*"/, '{"timestamp":""');

function asLines(all: string[]): Line[] {
  let offset = 0;
  return all.map((text) => {
    const line = { text, offset, end: offset + Buffer.byteLength(text) + 1, truncated: false };
    offset = line.end;
    return line;
  });
}

test('packed events are byte for byte JSON.stringify of each event, keyed by eventKey (in-thread and worker; corpus, generated, mutated, junk)', async () => {
  const lines = asLines(texts());
  const parse = createParser();
  const expected = lines.flatMap((l) => {
    const outcome = lineOutcome(l, { ...ctx, parse });
    return outcome?.event ? [{ key: eventKey(outcome.event), value: Buffer.from(JSON.stringify(outcome.event)) }] : [];
  });
  assert.ok(expected.length > 20_000, `only ${expected.length} lines parsed`);
  assert.ok(expected.some((e) => e.value.length !== e.value.toString('latin1').length || /[^\x00-\x7f]/.test(e.value.toString())), 'multi-byte text is covered');
  const worker = new WorkerEncoder({});
  const inThread = inThreadEncoder(createParser());
  try {
    for (const encoder of [inThread, worker]) {
      const chunks = [];
      for (let i = 0; i < lines.length; i += 1000) chunks.push(encoder.encode(lines.slice(i, i + 1000), ctx));
      const events = (await Promise.all(chunks)).flatMap((c) => c.events);
      assert.equal(events.length, expected.length);
      for (let i = 0; i < events.length; i++) {
        assert.equal(events[i].key, expected[i].key);
        assert.ok(Buffer.isBuffer(events[i].value));
        assert.equal(unclocked(events[i].value as Buffer), unclocked(expected[i].value), `event ${i}`);
      }
    }
  } finally {
    await worker.close();
  }
});
