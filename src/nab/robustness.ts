import { listSeries, readLabels, readSeries, windowRows } from './corpus.js';
import { NAB_DEFAULTS, noveltyScores, type NoveltyOptions } from './novelty.js';
import { PROFILES, sweep, type ScoredFile } from './scoring.js';

/**
 * Is the one NAB configuration general, or tuned to these files? Two checks:
 *  - sensitivity: each main knob at ×0.5, ×0.75, ×1.25, ×1.5 (the others at their defaults),
 *    scored on all files and on the rising count-like files;
 *  - split: over seeded random halves of the files, the configuration that scores best on one
 *    half (from a grid of every knob at ×0.5, ×1, ×2) is scored on the other half, next to the
 *    defaults and to that half's own best (the most any grid choice could have got).
 */

/** The count-like files whose anomalies are all rises (the second comparison). */
export const RISING_FILES = [
  'elb_request_count_8c0756',
  'ec2_network_in_257a54',
  'ec2_network_in_5abac7',
  'ec2_disk_write_bytes_1ef3de',
  'art_increase_spike_density',
  'art_load_balancer_spikes',
];

export const SENSITIVITY_FACTORS = [0.5, 0.75, 1.25, 1.5];
const GRID_FACTORS = [0.5, 1, 2];

type Knob = 'scales' | 'drop_weight' | 'evidence_rows' | 'refractory_rows';
const KNOBS: Knob[] = ['scales', 'drop_weight', 'evidence_rows', 'refractory_rows'];

/** The knob times `factor`; `scales` stretches the ladder (the first scale stays 1 row). */
export function scaled(base: NoveltyOptions, knob: Knob, factor: number): NoveltyOptions {
  if (knob === 'scales') {
    const ladder = base.scales.map((k, i) => (i === 0 ? k : Math.max(2, Math.round(k * factor))));
    return { ...base, scales: [...new Set(ladder)] };
  }
  if (knob === 'drop_weight') return { ...base, drop_weight: base.drop_weight * factor };
  return { ...base, [knob]: Math.max(1, Math.round(base[knob] * factor)) };
}

interface CorpusFile {
  name: string;
  values: Float64Array;
  timestamps: string[];
  windows: Array<[number, number]>;
}

export function loadCorpus(dir: string): CorpusFile[] {
  const labels = readLabels(dir);
  if (!labels) throw new Error(`${dir}/labels/combined_windows.json not found: robustness needs labelled files`);
  return listSeries(dir)
    .filter((name) => labels[name])
    .map((name) => {
      const s = readSeries(dir, name);
      return { name, values: s.values, timestamps: s.timestamps, windows: windowRows(s, labels[name]) };
    });
}

const standard = PROFILES.find((p) => p.name === 'standard')!;

/** Scores every file once per configuration; subsets are then scored without recomputing. */
class ScoreCache {
  private readonly cache = new Map<string, ScoredFile[]>();
  constructor(private readonly corpus: CorpusFile[]) {}

  files(o: NoveltyOptions): ScoredFile[] {
    const key = JSON.stringify(o);
    let scored = this.cache.get(key);
    if (!scored) {
      scored = this.corpus.map((f) => ({ name: f.name, scores: noveltyScores(f.values, f.timestamps, o), windows: f.windows }));
      this.cache.set(key, scored);
    }
    return scored;
  }

  /** NAB standard score of the files `keep` selects (normalised by their own windows). */
  score(o: NoveltyOptions, keep: (name: string) => boolean): number {
    return sweep(this.files(o).filter((f) => keep(f.name)), standard).score;
  }
}

export interface SensitivityRow {
  knob: string;
  value: string;
  all: number;
  rising: number;
}

const isRising = (name: string) => RISING_FILES.some((r) => name.includes(r));
const describe = (o: NoveltyOptions, knob: Knob) => (knob === 'scales' ? o.scales.join('/') : String(o[knob]));

export function sensitivity(corpus: CorpusFile[], base: NoveltyOptions = NAB_DEFAULTS): SensitivityRow[] {
  const cache = new ScoreCache(corpus);
  const row = (knob: string, value: string, o: NoveltyOptions) => ({ knob, value, all: cache.score(o, () => true), rising: cache.score(o, isRising) });
  const rows: SensitivityRow[] = [row('(defaults)', '', base)];
  for (const knob of KNOBS) {
    for (const f of SENSITIVITY_FACTORS) {
      const o = scaled(base, knob, f);
      rows.push(row(knob, `×${f} = ${describe(o, knob)}`, o));
    }
  }
  rows.push(row('time_of_day', String(!base.time_of_day), { ...base, time_of_day: !base.time_of_day }));
  return rows;
}

export interface SplitRow {
  seed: number;
  /** The grid configuration chosen on the training half (knob factors). */
  chosen: string;
  train: number;
  /** Held-out half: with the chosen configuration, with the defaults, and its own best grid score. */
  heldOutChosen: number;
  heldOutDefaults: number;
  heldOutBest: number;
}

function grid(base: NoveltyOptions): Array<{ label: string; o: NoveltyOptions }> {
  let configs = [{ label: '', o: base }];
  for (const knob of KNOBS) {
    configs = configs.flatMap((c) => GRID_FACTORS.map((f) => ({ label: f === 1 ? c.label : `${c.label} ${knob}×${f}`, o: scaled(c.o, knob, f) })));
  }
  return configs.map((c) => ({ label: c.label.trim() || 'defaults', o: c.o }));
}

/** Deterministic half split of the file names (mulberry32 shuffle). */
function half(names: string[], seed: number): Set<string> {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const shuffled = [...names];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  return new Set(shuffled.slice(0, Math.floor(shuffled.length / 2)));
}

export function splitCheck(corpus: CorpusFile[], seeds: number[], base: NoveltyOptions = NAB_DEFAULTS): SplitRow[] {
  const cache = new ScoreCache(corpus);
  const configs = grid(base);
  const names = corpus.map((f) => f.name);
  return seeds.map((seed) => {
    const train = half(names, seed);
    const inTrain = (n: string) => train.has(n);
    const heldOut = (n: string) => !train.has(n);
    let best = configs[0];
    let bestTrain = Number.NEGATIVE_INFINITY;
    let heldOutBest = Number.NEGATIVE_INFINITY;
    for (const c of configs) {
      const s = cache.score(c.o, inTrain);
      if (s > bestTrain) [best, bestTrain] = [c, s];
      heldOutBest = Math.max(heldOutBest, cache.score(c.o, heldOut));
    }
    return {
      seed,
      chosen: best.label,
      train: bestTrain,
      heldOutChosen: cache.score(best.o, heldOut),
      heldOutDefaults: cache.score(base, heldOut),
      heldOutBest,
    };
  });
}

export function robustnessReport(dir: string, seeds = [1, 2, 3, 4, 5, 6]): string {
  const corpus = loadCorpus(dir);
  const f2 = (x: number) => x.toFixed(2);
  const lines = [
    `Sensitivity (NAB standard score; one knob changed, the others at their defaults; ${corpus.length} files, and the ${RISING_FILES.length} rising count-like files)`,
    '',
    '| knob | value | all files | rising files |',
    '|---|---|---|---|',
    ...sensitivity(corpus).map((r) => `| ${r.knob} | ${r.value} | ${f2(r.all)} | ${f2(r.rising)} |`),
    '',
    `Split check (random halves of the ${corpus.length} files; configuration chosen on one half from the ${grid(NAB_DEFAULTS).length}-point grid of every knob ×0.5/×1/×2, scored on the other half)`,
    '',
    '| seed | chosen on the training half | training score | held-out: chosen | held-out: defaults | held-out: best possible |',
    '|---|---|---|---|---|---|',
    ...splitCheck(corpus, seeds).map((r) => `| ${r.seed} | ${r.chosen} | ${f2(r.train)} | ${f2(r.heldOutChosen)} | ${f2(r.heldOutDefaults)} | ${f2(r.heldOutBest)} |`),
  ];
  return lines.join('\n') + '\n';
}
