import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NAB_DEFAULTS } from '../../../src/nab/novelty.js';
import { runNab } from '../../../src/nab/evaluate.js';
import { loadCorpus, robustnessReport, scaled, SENSITIVITY_FACTORS, sensitivity, splitCheck } from '../../../src/nab/robustness.js';
import { command as evalCommand } from '../../../src/cli/eval.js';
import { UsageError } from '../../../src/cli/command.js';

const stamp = (i: number) => new Date(Date.UTC(2014, 3, 1) + i * 300_000).toISOString().replace('T', ' ').slice(0, 19);

/** Four labelled toy files: noise with one spike or level shift each. */
function toyCorpus(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bw-nab-robust-'));
  mkdirSync(join(dir, 'data', 'toy'), { recursive: true });
  mkdirSync(join(dir, 'labels'));
  const labels: Record<string, Array<[string, string]>> = {};
  for (let f = 0; f < 4; f++) {
    let a = f + 1;
    const at = 500 + 50 * f;
    const rows = ['timestamp,value'];
    for (let i = 0; i < 800; i++) {
      a = (a * 1103515245 + 12345) % 2147483648;
      const base = 50 + 10 * (a / 2147483648);
      rows.push(`${stamp(i)},${f % 2 === 0 ? (i === at ? 200 : base) : i >= at ? base + 15 : base}`);
    }
    writeFileSync(join(dir, 'data', 'toy', `f${f}.csv`), rows.join('\n') + '\n');
    labels[`toy/f${f}.csv`] = [[stamp(at - 10), stamp(at + 10)]];
  }
  writeFileSync(join(dir, 'labels', 'combined_windows.json'), JSON.stringify(labels));
  return dir;
}

test('scaled stretches one knob: the ladder keeps its 1-row scale, counts stay whole', () => {
  assert.deepEqual(scaled(NAB_DEFAULTS, 'scales', 0.5).scales, [1, 2, 5, 14]);
  assert.deepEqual(scaled(NAB_DEFAULTS, 'scales', 1.5).scales, [1, 5, 14, 41]);
  assert.equal(scaled(NAB_DEFAULTS, 'refractory_rows', 0.75).refractory_rows, 15);
  assert.equal(scaled(NAB_DEFAULTS, 'drop_weight', 1.5).drop_weight, 0.75);
  assert.equal(scaled(NAB_DEFAULTS, 'evidence_rows', 1.25).scales, NAB_DEFAULTS.scales);
});

test('sensitivity: the defaults row is the eval score; one row per knob and factor', () => {
  const dir = toyCorpus();
  try {
    const rows = sensitivity(loadCorpus(dir));
    const standard = runNab(dir, join(dir, 'out')).scores!.find((s) => s.profile === 'standard')!.score;
    assert.equal(rows[0].knob, '(defaults)');
    assert.equal(rows[0].all, standard);
    assert.equal(rows.length, 1 + 4 * SENSITIVITY_FACTORS.length + 1);
    assert.ok(rows.every((r) => r.all >= -100 && r.all <= 100));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('split check: the held-out best bounds both the chosen configuration and the defaults', () => {
  const dir = toyCorpus();
  try {
    const rows = splitCheck(loadCorpus(dir), [1, 2]);
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.ok(r.heldOutBest >= r.heldOutChosen && r.heldOutBest >= r.heldOutDefaults, JSON.stringify(r));
      assert.ok(r.chosen.length > 0);
    }
    assert.match(robustnessReport(dir, [1]), /\| knob \| value \| all files \| rising files \|[\s\S]*\| seed \| chosen on the training half/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('breakwater eval nab DIR --robustness prints both tables; without it --out stays required', async () => {
  const dir = toyCorpus();
  const written: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stdout.write;
  try {
    assert.equal(await evalCommand.run(['nab', dir, '--robustness']), 0);
  } finally {
    process.stdout.write = write;
  }
  try {
    assert.match(written.join(''), /^Sensitivity[\s\S]*\| \(defaults\) \|[\s\S]*^Split check/m);
    await assert.rejects(evalCommand.run(['nab', dir]), UsageError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
