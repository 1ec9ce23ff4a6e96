/**
 * The lean summary path must count exactly what the full parser would: for every line it takes,
 * the summary is the one the parser's event gives. Checked over generated lines, the example log
 * and many mutations of them (bytes replaced, deleted, inserted: junk, control characters,
 * non-ASCII, separators).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LeanHttplog, viewOf } from '../../../src/analyze/lean-httplog.js';
import { SummaryBuilder } from '../../../src/analyze/summary.js';
import { LazyParser, SummaryScan } from '../../../src/analyze/summary-scan.js';
import { createParser } from '../../../src/haproxy/parser.js';
import { generateHttpLogLines } from '../../../bench/gen-lines.js';
import { seededRandom as rng } from '../../../src/demo/random.js';

const parse = createParser();
const EXAMPLE = join(import.meta.dirname, '../../../examples/haproxy.log');

/** The summary of one line through the lean path, or null when it leaves the line to the parser. */
function lean(line: Buffer): unknown {
  const b = new SummaryBuilder();
  return new LeanHttplog(b).take(line, viewOf(line), 0, line.length) ? b.toJSON() : null;
}

function viaParser(line: Buffer): unknown {
  const b = new SummaryBuilder();
  const r = parse(line.toString('utf8'));
  if (r.ok) b.event(r.event);
  else b.rejects++;
  return b.toJSON();
}

const JUNK = [0x20, 0x2d, 0x2f, 0x3a, 0x30, 0x31, 0x39, 0x22, 0x5b, 0x5d, 0x2b, 0x3c, 0x09, 0x00, 0x1b, 0x7f, 0xc3, 0xa9, 0xff, 0x41];

function mutate(line: Buffer, r: () => number): Buffer {
  const bytes = [...line];
  const edits = 1 + Math.floor(r() * 3);
  for (let k = 0; k < edits; k++) {
    const at = Math.floor(r() * bytes.length);
    const junk = JUNK[Math.floor(r() * JUNK.length)];
    const op = r();
    if (op < 0.5) bytes[at] = junk;
    else if (op < 0.75) bytes.splice(at, 1);
    else bytes.splice(at, 0, junk);
  }
  return Buffer.from(bytes);
}

test('the lean path agrees with the parser on every line it takes, and takes the canonical ones', () => {
  const base = [
    ...generateHttpLogLines(3000, { seed: 11, failureRate: 0.3 }),
    ...readFileSync(EXAMPLE, 'utf8').split('\n').filter(Boolean),
  ].map((l) => Buffer.from(l));
  const r = rng(5);
  let taken = 0;
  let mutatedTaken = 0;
  for (const line of base) {
    const got = lean(line);
    if (got !== null) {
      taken++;
      assert.deepEqual(got, viaParser(line), line.toString());
    }
    for (let m = 0; m < 8; m++) {
      const bad = mutate(line, r);
      const lean2 = lean(bad);
      if (lean2 === null) continue;
      mutatedTaken++;
      assert.deepEqual(lean2, viaParser(bad), JSON.stringify(bad.toString('latin1')));
    }
  }
  // Every generated line is canonical httplog; the example adds health, tcp and garbage lines.
  assert.ok(taken >= 3000, `lean path took ${taken} lines`);
  assert.ok(mutatedTaken > 1000, `mutations still taken: ${mutatedTaken}`);
});

test('SummaryScan gives the same summary with and without the lean path, across chunk boundaries', () => {
  const text = Buffer.from(
    [...generateHttpLogLines(2000, { seed: 3, failureRate: 0.2 })].join('\n') + '\n' + readFileSync(EXAMPLE, 'utf8') + 'last line without newline',
  );
  const summarise = (leanHttplog: boolean, chunkSize: number) => {
    const b = new SummaryBuilder();
    const rejects: string[] = [];
    const scan = new SummaryScan(b, new LazyParser({}, parse), leanHttplog, (s, n, reason) => rejects.push(`${s}:${n}: ${reason}`));
    scan.begin('x');
    for (let i = 0; i < text.length; i += chunkSize) scan.chunk(text.subarray(i, i + chunkSize));
    scan.end();
    return { summary: b.toJSON(), rejects };
  };
  const reference = summarise(false, 1 << 20);
  assert.equal(reference.summary.lines, text.toString().split('\n').length);
  for (const size of [1 << 20, 4096, 997, 64]) assert.deepEqual(summarise(true, size), reference, `chunk ${size}`);
});

test('the lean path agrees with the parser in ASCII mode and across lines (remembered date, tag and minute)', () => {
  // ASCII-only mutations, some of them in the repeated parts (dates, tag): the lean reader
  // compares these with the previous line's bytes, so a near-miss must still be checked.
  const ASCII_JUNK = JUNK.filter((c) => c > 0 && c < 0x80);
  const asciiMutate = (line: Buffer, r: () => number): Buffer => {
    const bytes = [...line];
    const at = r() < 0.5 ? Math.floor(r() * 70) : Math.floor(r() * bytes.length);
    bytes[at] = ASCII_JUNK[Math.floor(r() * ASCII_JUNK.length)];
    return Buffer.from(bytes);
  };
  const r = rng(9);
  const lines: Buffer[] = [];
  for (const l of generateHttpLogLines(4000, { seed: 21, failureRate: 0.3 })) {
    const line = Buffer.from(l);
    lines.push(r() < 0.3 ? asciiMutate(line, r) : line);
  }
  const b = new SummaryBuilder();
  const leanReader = new LeanHttplog(b);
  const reference = new SummaryBuilder();
  let taken = 0;
  for (const line of lines) {
    const before = JSON.stringify(b.toJSON());
    const took = leanReader.take(line, viewOf(line), 0, line.length, true);
    const r2 = parse(line.toString('latin1'));
    if (r2.ok) reference.event(r2.event);
    else reference.rejects++;
    if (took) taken++;
    else {
      // Left to the parser: count it the parser's way so both summaries stay comparable.
      assert.equal(JSON.stringify(b.toJSON()), before);
      if (r2.ok) b.event(r2.event);
      else b.rejects++;
    }
  }
  assert.deepEqual(b.toJSON(), reference.toJSON());
  assert.ok(taken > 3000, `lean path took ${taken} lines`);
});
