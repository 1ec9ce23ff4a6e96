import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, type Line } from '../../../src/ship/lines.js';

function splitAll(chunks: Buffer[], max?: number): Line[] {
  const s = new LineSplitter(0, max);
  const out: Line[] = [];
  for (const c of chunks) s.push(c, out);
  const last = s.flush();
  if (last) out.push(last);
  return out;
}

test('byte offsets survive multi-byte characters and CRLF', () => {
  const text = 'héllo\r\nwörld\nlast';
  const lines = splitAll([Buffer.from(text)]);
  assert.deepEqual(lines.map((l) => l.text), ['héllo', 'wörld', 'last']);
  assert.deepEqual(lines.map((l) => l.offset), [0, 8, 15]);
  assert.equal(lines[2].end, Buffer.byteLength(text));
});

test('lines split across chunks at every position come out whole, offsets exact', () => {
  const text = Buffer.from('alpha\nbeta gamma\n\ndelta\n');
  const expected = splitAll([text]);
  for (let cut = 0; cut <= text.length; cut++) {
    for (let cut2 = cut; cut2 <= text.length; cut2 += 3) {
      const got = splitAll([text.subarray(0, cut), text.subarray(cut, cut2), text.subarray(cut2)]);
      assert.deepEqual(got, expected, `cuts ${cut},${cut2}`);
    }
  }
  assert.deepEqual(expected.map((l) => l.text), ['alpha', 'beta gamma', '', 'delta']);
});

test('an over-long line is cut and flagged, memory bounded, next line intact', () => {
  const long = 'x'.repeat(100);
  const input = Buffer.from(`${long}\nok\n`);
  for (const chunkSize of [1, 7, 1000]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < input.length; i += chunkSize) chunks.push(input.subarray(i, i + chunkSize));
    const s = new LineSplitter(0, 10);
    const out: Line[] = [];
    for (const c of chunks) {
      s.push(c, out);
      assert.ok(s.buffered <= 10);
    }
    assert.equal(out.length, 2, `chunk ${chunkSize}`);
    assert.equal(out[0].text, 'x'.repeat(10));
    assert.equal(out[0].truncated, true);
    assert.equal(out[0].end, 101);
    assert.deepEqual([out[1].text, out[1].offset, out[1].truncated], ['ok', 101, false]);
  }
});

test('position tracks the start of the incomplete line; flush returns it', () => {
  const s = new LineSplitter(1000);
  s.push(Buffer.from('one\ntw'));
  assert.equal(s.position, 1004);
  assert.equal(s.buffered, 2);
  const last = s.flush();
  assert.deepEqual(last, { text: 'tw', offset: 1004, end: 1006, truncated: false });
  assert.equal(s.flush(), null);
});
