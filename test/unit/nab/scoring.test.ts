import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROFILES, probation, rowWeights, scaledSigmoid, sweep, type ScoredFile } from '../../../src/nab/scoring.js';

const [standard, lowFP, lowFN] = PROFILES;
const close = (actual: number, expected: number, digits = 6) =>
  assert.ok(Math.abs(actual - expected) < 10 ** -digits, `${actual} vs ${expected}`);

test('probationary period (SCORING.md §2)', () => {
  assert.equal(probation(4032), 604);
  assert.equal(probation(1243), 186);
  assert.equal(probation(4730), 709);
  assert.equal(probation(20000), 750);
  assert.equal(probation(20), 3);
});

test('scaled sigmoid reference values (§4)', () => {
  close(scaledSigmoid(-1), 0.986614298, 9);
  close(scaledSigmoid(-0.5), 0.84828364, 8);
  assert.equal(scaledSigmoid(0), 0);
  close(scaledSigmoid(0.5), -0.84828364, 8);
  close(scaledSigmoid(3), -0.999999388, 9);
  assert.equal(scaledSigmoid(3.0001), -1);
});

test('TP and FP weights for W = 201 (§5)', () => {
  const { weight } = rowWeights(1400, [[100, 300]], standard);
  close(weight[100], 1, 9);
  close(weight[200], 0.8616, 4);
  close(weight[300], 0.0126, 4);
  close(weight[99], -0.11, 12);
  close(weight[301] / 0.11, -0.0125, 4);
  close(weight[350] / 0.11, -0.555, 3);
  close(weight[400] / 0.11, -0.848, 3);
  close(weight[500] / 0.11, -0.987, 3);
  close(weight[1000], -0.11, 12);
});

// §9: 20 rows, P = 3, one window 8..11.
const toy: ScoredFile = {
  name: 'toy.csv',
  scores: [0.9, 0, 0, 0, 0, 0.7, 0, 0, 0, 0.8, 0.95, 0, 0, 0.6, 0, 0, 0, 0, 0, 0.4],
  windows: [[8, 11]],
};

test('toy case row weights (§9)', () => {
  const { weight } = rowWeights(20, toy.windows, standard);
  close(weight[5], -0.11);
  close(weight[9], 0.966989);
  close(weight[10], 0.859793);
  close(weight[13], -0.102422);
  close(weight[19], -0.11);
});

test('toy case sweep: θ* = 0.8 in every profile, with the table values (§9)', () => {
  for (const p of [standard, lowFP, lowFN]) {
    const r = sweep([toy], p);
    assert.equal(r.threshold, 0.8, p.name);
    close(r.raw, 0.966989);
    assert.deepEqual([r.tp, r.tn, r.fp, r.fn], [2, 13, 0, 2]);
    assert.deepEqual(r.files, [{ name: 'toy.csv', raw: r.raw }]);
  }
  // Other rows of the table: force the threshold by flattening the higher scores.
  const at = (θ: number, p = standard) => {
    const scores = Array.from(toy.scores, (a, i) => (i < 3 ? 0 : a >= θ ? 1 : 0));
    return sweep([{ ...toy, scores }], p);
  };
  close(at(0.6).raw, 0.754567);
  close(at(0.4).raw, 0.644567);
  close(at(0.6, lowFP).raw, 0.542145);
  close(at(0.4, lowFP).raw, 0.322146);
});

test('the null detector scores 0, a perfect one 100; ties keep the largest threshold (§7, §8)', () => {
  const n = 100;
  const file = (scores: number[]): ScoredFile => ({ name: 'f', scores, windows: [[40, 49], [70, 79]] });
  const nothing = sweep([file(Array(n).fill(0.5))], standard);
  assert.equal(nothing.threshold, 1.1);
  assert.equal(nothing.score, 0);
  const perfect = sweep([file(Array.from({ length: n }, (_, i) => (i === 40 || i === 70 ? 1 : 0)))], standard);
  assert.equal(perfect.threshold, 1);
  close(perfect.score, 100, 9);
  const lowFnNull = sweep([file(Array(n).fill(0))], lowFN);
  assert.equal(lowFnNull.score, 0);
  assert.equal(lowFnNull.raw, -4);
});

test('normalization uses N windows: ARTime and HTM examples (§8)', () => {
  // S = 57.6608 with N = 116 → 74.85 standard; one file holding a window scored −A_FN gives S_null.
  const norm = (s: number, fn: number) => (100 * (s + fn * 116)) / (116 + fn * 116);
  close(norm(57.6608, 1), 74.85, 2);
  close(norm(47.6608, 2), 80.36, 2);
  close(norm(46.6345, 1), 70.1, 2);
  const r = sweep([{ name: 'f', scores: Array(40).fill(0), windows: [[20, 25]] }], standard, 116);
  close(r.score, norm(-1, 1), 9);
});

test('scores outside [0, 1] are rejected', () => {
  assert.throws(() => sweep([{ name: 'f', scores: [0, 0, 0, 0, 1.5], windows: [] }], standard), /outside \[0, 1\]/);
});
