import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noveltyScores, rowsPerDay } from '../../../src/nab/novelty.js';
import { runNab } from '../../../src/nab/evaluate.js';

const stamps = (n: number, stepMin = 5) =>
  Array.from({ length: n }, (_, i) => new Date(Date.UTC(2014, 3, 1) + i * stepMin * 60_000).toISOString().replace('T', ' ').slice(0, 19));

function noisy(n: number, seed = 1): number[] {
  let a = seed;
  return Array.from({ length: n }, () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return 50 + 10 * (a / 2147483648);
  });
}

test('a flat or in-range series scores 0; scores stay in [0, 1]', () => {
  const flat = noveltyScores(Array(500).fill(7), stamps(500));
  assert.ok(flat.every((a) => a === 0));
  const values = noisy(2000);
  const s = noveltyScores(values, stamps(2000));
  assert.ok(s.every((a) => a >= 0 && a <= 1));
  const reported = s.slice(1000).filter((a) => a > 0).length;
  assert.ok(reported <= 10, `${reported} late rows of a stationary series reported`);
  const wave = Array.from({ length: 1500 }, (_, i) => 10 + Math.sin(i / 7));
  assert.ok(noveltyScores(wave, stamps(1500)).slice(100).every((a) => a < 0.001), 'a repeating pattern is not novel');
});

test('a spike above anything seen scores high once (edge-triggered), a drop of the same size lower', () => {
  const up = noisy(1500);
  up[1200] = 100;
  up[1201] = 95;
  const su = noveltyScores(up, stamps(1500));
  assert.ok(su[1200] > 0.5, `spike scored ${su[1200]}`);
  assert.equal(su[1201], 0, 'the next row does not report again');
  const down = noisy(1500);
  down[1200] = 0;
  const sd = noveltyScores(down, stamps(1500));
  assert.ok(sd[1200] > 0 && sd[1200] < su[1200]);
});

test('a level shift is caught by the multi-row means', () => {
  const v = noisy(1500).map((x, i) => (i >= 1200 ? x + 8 : x));
  const s = noveltyScores(v, stamps(1500));
  const first = s.findIndex((a, i) => i >= 1200 && a > 0.05);
  assert.ok(first >= 1200 && first < 1230, `first detection at ${first}`);
});

test('rows per day from the timestamps', () => {
  assert.equal(rowsPerDay(stamps(10)), 288);
  assert.equal(rowsPerDay(stamps(10, 7)), 0);
});

test('runNab writes results with verbatim timestamps and scores a labelled corpus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-nab-'));
  try {
    mkdirSync(join(dir, 'data', 'toy'), { recursive: true });
    mkdirSync(join(dir, 'labels'));
    const ts = stamps(1000);
    const values = noisy(1000).map((x, i) => (i === 700 ? 300 : x));
    writeFileSync(join(dir, 'data', 'toy', 'a.csv'), ['timestamp,value', ...ts.map((t, i) => `${t},${values[i].toFixed(1)}`)].join('\n') + '\n');
    writeFileSync(join(dir, 'labels', 'combined_windows.json'), JSON.stringify({ 'toy/a.csv': [[`${ts[650]}.000000`, `${ts[749]}.000000`]] }));
    const run = runNab(dir, join(dir, 'out'));
    assert.equal(run.files, 1);
    const lines = readFileSync(join(dir, 'out', 'toy', 'a.csv'), 'utf8').trim().split('\n');
    assert.equal(lines[0], 'timestamp,value,anomaly_score');
    assert.equal(lines.length, 1001);
    assert.ok(lines[1].startsWith(`${ts[0]},${values[0].toFixed(1)},`));
    const standard = run.scores!.find((s) => s.profile === 'standard')!;
    // Detected at row 700 of window 650..749 (W = 100): 51 rows before the end.
    assert.ok(standard.score > 90, `score ${standard.score}`);
    assert.equal(standard.fp, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
