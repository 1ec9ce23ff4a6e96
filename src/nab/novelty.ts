import { parseNabTime } from './corpus.js';

/**
 * The NAB-facing anomaly score of one univariate series (each row one interval's count or
 * level). One configuration for every series: nothing here is tuned per file.
 *
 * The question the alerting detector asks of a failure-count series, "is this above anything
 * normal for this series?", becomes a graded novelty score so NAB can choose its threshold:
 *
 * 1. Features at a geometric ladder of time scales: the row itself and the means of the last
 *    3, 9 and 27 rows (spikes, bursts, level shifts, a denser rate of spikes), plus the
 *    time-of-day residual |x_t − x_{t−day}| when a day holds whole rows and the series is at
 *    least three days long (the detector's hour-of-day baseline, in row form).
 * 2. For each feature, the exceedance of its history: how far it goes beyond the highest value
 *    seen so far (or below the lowest, weighted `drop_weight`: NAB has drops, a count series
 *    is bounded below by zero), in units of the range seen so far:
 *        e = max(x − max_hist, w·(min_hist − x), 0) / (max_hist − min_hist)
 *    A value inside the range of its own history is never novel, whatever its scale.
 * 3. Evidence: with h rows of history, a new extreme is expected about every h rows by chance
 *    (record statistics), so e is weighted by 1 − exp(−h/τ) (τ = 1000 rows): young histories
 *    need a larger exceedance.
 * 4. score = e/(1 + e) for the largest weighted exceedance, in [0, 1).
 * 5. Edge triggering: a row reports its score only when it beats every score of the previous
 *    `refractory_rows` rows (else 0). An alerting system pages once at onset; NAB charges every
 *    reported row outside a window and credits only the first inside one.
 */
export interface NoveltyOptions {
  scales: number[];
  drop_weight: number;
  evidence_rows: number;
  refractory_rows: number;
  time_of_day: boolean;
}

export const NAB_DEFAULTS: NoveltyOptions = {
  scales: [1, 3, 9, 27],
  drop_weight: 0.5,
  evidence_rows: 1000,
  refractory_rows: 20,
  time_of_day: true,
};

const MIN_HISTORY = 10;

/** Running extremes of one feature and the weighted exceedance of a new value. */
class Extremes {
  private max = Number.NEGATIVE_INFINITY;
  private min = Number.POSITIVE_INFINITY;
  private count = 0;

  constructor(private readonly o: NoveltyOptions, private readonly dropWeight: number) {}

  /** Exceedance of x over the history so far, then x joins the history. */
  push(x: number): number {
    let e = 0;
    if (this.count >= MIN_HISTORY) {
      const range = this.max - this.min + 1e-9 * (Math.abs(this.max) + 1);
      e = Math.max(x - this.max, this.dropWeight * (this.min - x), 0) / range;
      e *= 1 - Math.exp(-this.count / this.o.evidence_rows);
    }
    this.count++;
    if (x > this.max) this.max = x;
    if (x < this.min) this.min = x;
    return e;
  }
}

/** Rows per day when the series is regular enough (median step), else 0. */
export function rowsPerDay(timestamps: string[]): number {
  const steps: number[] = [];
  for (let i = 1; i < Math.min(timestamps.length, 200); i++) steps.push(parseNabTime(timestamps[i]) - parseNabTime(timestamps[i - 1]));
  steps.sort((a, b) => a - b);
  const step = steps[Math.floor(steps.length / 2)];
  if (!(step > 0) || 86_400_000 % step !== 0) return 0;
  return 86_400_000 / step;
}

export function noveltyScores(values: ArrayLike<number>, timestamps: string[], o: NoveltyOptions = NAB_DEFAULTS): Float64Array {
  const n = values.length;
  const day = o.time_of_day ? rowsPerDay(timestamps) : 0;
  const useDay = day > 0 && day * 3 <= n;
  const scales = o.scales.map((k) => ({ k, sum: 0, ext: new Extremes(o, o.drop_weight) }));
  const dayExt = new Extremes(o, 0);
  const raw = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const x = values[t];
    let e = 0;
    for (const s of scales) {
      s.sum += x;
      if (t >= s.k) s.sum -= values[t - s.k];
      if (t >= s.k - 1) e = Math.max(e, s.ext.push(s.sum / s.k));
    }
    if (useDay && t >= day) e = Math.max(e, dayExt.push(Math.abs(x - values[t - day])));
    raw[t] = e / (1 + e);
  }
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let recent = 0;
    for (let j = Math.max(0, t - o.refractory_rows); j < t; j++) if (raw[j] > recent) recent = raw[j];
    out[t] = raw[t] > recent ? raw[t] : 0;
  }
  return out;
}
