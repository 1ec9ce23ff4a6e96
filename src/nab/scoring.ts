/**
 * The NAB scoring function (../shared/nab/SCORING.md, after numenta/NAB sweeper.py, scorer.py,
 * optimizer.py and runner.normalize): per-row weighted scores from the scaled sigmoid, the
 * probationary period, one threshold for the whole corpus chosen by an exhaustive sweep, and
 * normalization against the null and perfect detectors.
 */

export interface Profile {
  name: string;
  tp: number;
  fp: number;
  fn: number;
}

export const PROFILES: Profile[] = [
  { name: 'standard', tp: 1.0, fp: 0.11, fn: 1.0 },
  { name: 'reward_low_FP_rate', tp: 1.0, fp: 0.22, fn: 1.0 },
  { name: 'reward_low_FN_rate', tp: 1.0, fp: 0.11, fn: 2.0 },
];

/** One scored file: its detector output and its labeled windows as inclusive row ranges. */
export interface ScoredFile {
  name: string;
  scores: ArrayLike<number>;
  windows: Array<[number, number]>;
}

/** P(n) = min(floor(0.15·n), 750): rows before it are not scored. */
export function probation(n: number): number {
  return Math.min(Math.floor(0.15 * n), 0.15 * 5000);
}

/** SS(x) = 2·sigma(−5x) − 1 for x ≤ 3, −1 beyond. */
export function scaledSigmoid(x: number): number {
  if (x > 3) return -1;
  return 2 / (1 + Math.exp(5 * x)) - 1;
}

const SS_MAX = scaledSigmoid(-1);

/**
 * Per-row weighted score s_i and window index (−1 outside every window) of every row.
 * Inside [L, R]: A_TP·SS(−(R−i+1)/W)/SSmax. Outside: A_FP·SS((i−R_prev)/(W_prev−1)) after a
 * window, −A_FP before the first one.
 */
export function rowWeights(n: number, windows: Array<[number, number]>, profile: Profile): { weight: Float64Array; window: Int32Array } {
  const weight = new Float64Array(n);
  const window = new Int32Array(n).fill(-1);
  let w = 0;
  let prev: [number, number] | null = null;
  for (let i = 0; i < n; i++) {
    while (w < windows.length && windows[w][1] < i) prev = windows[w++];
    const cur = w < windows.length && windows[w][0] <= i ? windows[w] : null;
    if (cur) {
      const width = cur[1] - cur[0] + 1;
      weight[i] = (profile.tp * scaledSigmoid(-(cur[1] - i + 1) / width)) / SS_MAX;
      window[i] = w;
    } else if (prev) {
      const width = prev[1] - prev[0] + 1;
      weight[i] = profile.fp * scaledSigmoid(Math.abs(prev[1] - i) / (width - 1));
    } else {
      weight[i] = -profile.fp;
    }
  }
  return { weight, window };
}

export interface SweepResult {
  profile: string;
  threshold: number;
  /** Raw score S(θ*). */
  raw: number;
  /** 100·(S − S_null)/(S_perfect − S_null). */
  score: number;
  windows: number;
  /** Row counts among scorable rows at θ*. */
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** Per-file raw score at θ*. */
  files: Array<{ name: string; raw: number }>;
}

/**
 * Optimises the one corpus-wide threshold (candidates: 1.1 and every distinct score of a
 * scorable row; ties go to the largest threshold) and scores the files at it.
 * `totalWindows` is N for normalization (defaults to the windows of these files).
 */
export function sweep(files: ScoredFile[], profile: Profile, totalWindows?: number): SweepResult {
  interface Row {
    a: number;
    s: number;
    w: number; // global window id or −1
  }
  const rows: Row[] = [];
  const perFile: Array<{ weight: Float64Array; window: Int32Array; start: number; windowBase: number }> = [];
  let windowCount = 0;
  const participating: boolean[] = [];
  for (const f of files) {
    const n = f.scores.length;
    const { weight, window } = rowWeights(n, f.windows, profile);
    const start = probation(n);
    for (let i = start; i < n; i++) {
      const a = f.scores[i];
      if (!(a >= 0 && a <= 1)) throw new Error(`${f.name}: row ${i} has anomaly score ${a}, outside [0, 1]`);
      const w = window[i] >= 0 ? windowCount + window[i] : -1;
      if (w >= 0) participating[w] = true;
      rows.push({ a, s: weight[i], w });
    }
    perFile.push({ weight, window, start, windowBase: windowCount });
    windowCount += f.windows.length;
  }
  const nWindows = participating.filter(Boolean).length;
  rows.sort((x, y) => y.a - x.a);

  // Sweep thresholds from high to low, one group of equal scores at a time.
  const best = new Float64Array(windowCount).fill(Number.NaN);
  let fpSum = 0;
  let windowSum = -profile.fn * nWindows;
  let bestScore = windowSum;
  let bestThreshold = 1.1;
  for (let i = 0; i < rows.length; ) {
    const a = rows[i].a;
    for (; i < rows.length && rows[i].a === a; i++) {
      const r = rows[i];
      if (r.w < 0) fpSum += r.s;
      else if (Number.isNaN(best[r.w])) {
        best[r.w] = r.s;
        windowSum += profile.fn + r.s;
      } else if (r.s > best[r.w]) {
        windowSum += r.s - best[r.w];
        best[r.w] = r.s;
      }
    }
    const score = windowSum + fpSum;
    if (score > bestScore) {
      bestScore = score;
      bestThreshold = a;
    }
  }

  // Score each file at θ* (detect when a ≥ θ*), with NAB's row counts.
  let tp = 0, fp = 0, tn = 0, fn = 0;
  const fileScores = files.map((f, k) => {
    const { weight, window, start } = perFile[k];
    const bestIn = new Float64Array(f.windows.length).fill(Number.NaN);
    let raw = 0;
    for (let i = start; i < f.scores.length; i++) {
      const hit = f.scores[i] >= bestThreshold;
      const w = window[i];
      if (w >= 0) {
        if (hit) tp++;
        else fn++;
        if (hit && (Number.isNaN(bestIn[w]) || weight[i] > bestIn[w])) bestIn[w] = weight[i];
      } else if (hit) {
        fp++;
        raw += weight[i];
      } else tn++;
    }
    for (let w = 0; w < f.windows.length; w++) {
      if (!participating[perFile[k].windowBase + w]) continue;
      raw += Number.isNaN(bestIn[w]) ? -profile.fn : bestIn[w];
    }
    return { name: f.name, raw };
  });

  const n = totalWindows ?? windowCount;
  const sNull = -profile.fn * n;
  const sPerfect = profile.tp * n;
  return {
    profile: profile.name,
    threshold: bestThreshold,
    raw: bestScore,
    score: n === 0 ? 0 : (100 * (bestScore - sNull)) / (sPerfect - sNull),
    windows: n,
    tp,
    fp,
    tn,
    fn,
    files: fileScores,
  };
}
