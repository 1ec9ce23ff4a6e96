/**
 * SummaryScan with the full parser loaded lazily: lines cut by chunk ends are read by the lean
 * reader too, the lines it leaves to the parser wait until the parser is loaded, and the result
 * (counts, last states, rejects in order with their line numbers) is the one of the parser alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SummaryBuilder } from '../../../src/analyze/summary.js';
import { LazyParser, SummaryScan } from '../../../src/analyze/summary-scan.js';
import { createParser } from '../../../src/haproxy/parser.js';
import { generateHttpLogLines } from '../../../bench/gen-lines.js';

const EXAMPLE = join(import.meta.dirname, '../../../examples/haproxy.log');

async function summarise(text: Buffer, parser: LazyParser, lean: boolean, chunkSize: number) {
  const b = new SummaryBuilder();
  const rejects: string[] = [];
  const scan = new SummaryScan(b, parser, lean, (s, n, reason) => rejects.push(`${s}:${n}: ${reason}`));
  for (const source of ['a', 'b']) {
    scan.begin(source);
    for (let i = 0; i < text.length; i += chunkSize) {
      scan.chunk(text.subarray(i, i + chunkSize));
      await scan.settle();
    }
    scan.end();
    await scan.settle();
  }
  return { summary: b.toJSON(), rejects };
}

test('lazily loaded parser: same summary and rejects as the parser alone, whatever the chunk size', async () => {
  const generated = [...generateHttpLogLines(3000, { seed: 4, failureRate: 0.2 })];
  // The first line for the parser is followed by an over-long one in the same chunk (4 MiB chunks).
  const lines = [...generated.slice(0, 1000), 'not a log line', 'x'.repeat(1024 * 1024 + 1), ...readFileSync(EXAMPLE, 'utf8').split('\n'),
    generated[1000] + '\r', 'y'.repeat(1024 * 1024), '', ...generated.slice(1001)];
  const text = Buffer.from(lines.join('\n') + '\nlast line without newline');
  const reference = await summarise(text, new LazyParser({}, createParser()), false, 1 << 20);
  assert.equal(reference.summary.lines, 2 * (lines.length + 1));
  assert.deepEqual(reference.rejects.slice(0, 2).map((r) => r.slice(0, 30)), ['a:1001: not an HAProxy log lin', 'a:1002: line longer than 1 MiB']);
  for (const size of [4 << 20, 1 << 20, 65536, 997, 64]) {
    assert.deepEqual(await summarise(text, new LazyParser({}), true, size), reference, `chunk ${size}`);
  }
});

test('canonical httplog lines, also those cut by chunk ends, never load the parser', async () => {
  const text = Buffer.from([...generateHttpLogLines(2000, { seed: 8, failureRate: 0.2 })].join('\n') + '\n');
  const parser = new LazyParser({});
  const lazy = await summarise(text, parser, true, 997);
  assert.equal(parser.loaded, null);
  assert.deepEqual(lazy, await summarise(text, new LazyParser({}, createParser()), false, 1 << 20));
});
