import type { DetectorConfig } from '../config/detector.js';

/**
 * The state of one detector series (one key: host|backend|server by default), packed into a
 * single Float64Array so 100 k series fit in about 1.3 KB each and a checkpoint is one copy.
 *
 * ## Windows
 * Events are counted in 1 s buckets (requests, failures, 5xx, retries) held in a ring of
 * R = window_s + allowed_lateness_s + 1 slots. The running sums over the last window_s buckets
 * (ending at the newest bucket, the "head") are kept up to date on every add and eviction, so an
 * evaluation is O(1). A bucket is *final* once it is older than the watermark
 * (latest event time seen by the detector − allowed_lateness_s); only final buckets feed the
 * baseline, so events up to allowed_lateness_s late still count in what is learnt. The ring is
 * big enough that a slot is always final before it is reused. Events older than that are late:
 * still counted in the window when their bucket is in the ring, and always stored by the caller.
 *
 * ## Baseline (what normal is)
 * Failures f out of n requests are modelled as over-dispersed binomial: E[f] = n·p,
 * Var[f] = φ·n·p(1−p).
 * - p, the normal failure ratio, is an exponentially weighted ratio of sums in event time:
 *     F ← F·λ^Δt + f_b,  N ← N·λ^Δt + n_b,  λ = 2^(−1/half_life_s)
 *     p_global = (F + p0·n0) / (N + n0)
 *   The prior p0 (prior_ratio) with weight n0 (prior_requests) is the warm-up: a new or quiet
 *   series is judged against a cautious 1 % until it has seen enough requests of its own.
 *   Weighting by requests (a ratio of sums, not a mean of ratios) makes quiet seconds count
 *   little and keeps p independent of traffic volume: a surge at the same ratio leaves p as is.
 * - Robust guard: a bucket's failures are clipped at n_b·p + 3·sd_b + 1 before they are learnt,
 *   so a spike below the alert threshold moves the baseline slowly; p never goes below
 *   min_ratio_floor in the test, so a series that never failed does not page on noise.
 * - φ, the over-dispersion, is learnt from the squared standardized residual of each final
 *   window, r² = (f_w − n_w·p)² / (n_w·p(1−p)), clipped at 9·φ (a 3σ Huber-style guard):
 *   running mean for the first updates, then an EWMA with the same half-life; 1 ≤ φ ≤ max.
 * - Time of day: a second pair of sums per UTC hour of the day, decayed by tod_day_decay each
 *   time the hour comes round (a per-day EWMA). Once the series has tod_min_days of history,
 *   the test uses max(p_global, p_hour): an hour that is normally worse (nightly batch jobs)
 *   does not page.
 * - Frozen while pending or firing: the incident is not learnt as the new normal, and the
 *   frozen span does not decay the baseline either.
 *
 * ## Above normal (see rule.ts for the decision)
 * expected = n·p, sd = sqrt(φ·n·p(1−p)); fires when
 *   f ≥ max(expected + z·sd, min_failures, n·max(min_ratio, ratio_factor·p))
 * held for sustain_s. The z-test scales with n, so the same ratio at 10x the traffic is not
 * more significant; min_failures and min_ratio stop "1 failure in 3 requests at night".
 */

// Header slots.
export const H = {
  HEAD: 0, // newest bucket second (epoch s); NaN when empty
  FINAL: 1, // newest bucket second already learnt
  FIRST_MS: 2, // first event time seen
  LAST_MS: 3, // newest event time seen
  F: 4, // EWMA failure sum
  N: 5, // EWMA request sum
  PHI: 6, // over-dispersion
  PHI_COUNT: 7, // number of φ updates (capped)
  LEARN_SEC: 8, // second of the last learning step (decay reference)
  ABOVE_MS: 9, // when the rule started to hold (NaN)
  CALM_MS: 10, // when a firing series came back near its baseline (NaN)
  FIRED_MS: 11, // fire time of the open incident (NaN when not firing)
  RESOLVED_MS: 12, // last resolve time (cooldown)
  DOWN: 13, // 1 while HAProxy says the server is DOWN (or the backend has no server)
  LATE: 14, // late events seen
  LAST_FAIL_MS: 15, // newest failing event time
  TOD_HOUR: 16, // hour-of-day slot being accumulated (-1)
  RULE: 17, // rule code of the open incident
  W_REQ: 18, // running window sums
  W_FAIL: 19,
  W_5XX: 20,
  W_RETRY: 21,
  PEAK: 22, // highest window failures during the open incident
  HELD: 23, // consecutive evaluations the rule has held
} as const;
export const HEADER = 24;
/** Counters per bucket. */
export const C = { REQ: 0, FAIL: 1, E5XX: 2, RETRY: 3 } as const;
const CS = 4;
export const TOD_SLOTS = 24;

export interface Layout {
  ring: number;
  window: number;
  size: number;
  todOffset: number;
}

export function layoutFor(cfg: DetectorConfig): Layout {
  const ring = cfg.window_s + cfg.allowed_lateness_s + 1;
  const todOffset = HEADER + ring * CS;
  return { ring, window: cfg.window_s, size: todOffset + TOD_SLOTS * 2, todOffset };
}

export function newSeriesData(layout: Layout, d: Float64Array = new Float64Array(layout.size)): Float64Array {
  d.fill(0);
  for (const i of [H.HEAD, H.FINAL, H.FIRST_MS, H.LAST_MS, H.LEARN_SEC, H.ABOVE_MS, H.CALM_MS, H.FIRED_MS, H.RESOLVED_MS, H.LAST_FAIL_MS]) d[i] = NaN;
  d[H.PHI] = 1;
  d[H.TOD_HOUR] = -1;
  return d;
}

/**
 * Series arrays carved out of shared slabs: one typed-array view per series instead of a view,
 * an ArrayBuffer and a separate allocation each (about 200 bytes saved per series at 100 k).
 */
export class SeriesPool {
  private slab: Float64Array | null = null;
  private used = 0;
  private readonly free: Float64Array[] = [];

  constructor(
    private readonly layout: Layout,
    private readonly perSlab = 512,
  ) {}

  alloc(): Float64Array {
    const reused = this.free.pop();
    if (reused) return newSeriesData(this.layout, reused);
    if (!this.slab || this.used === this.perSlab) {
      this.slab = new Float64Array(this.layout.size * this.perSlab);
      this.used = 0;
    }
    const size = this.layout.size;
    const d = this.slab.subarray(this.used * size, (this.used + 1) * size);
    this.used++;
    return newSeriesData(this.layout, d);
  }

  release(d: Float64Array): void {
    this.free.push(d);
  }
}

const slot = (layout: Layout, sec: number) => HEADER + (((sec % layout.ring) + layout.ring) % layout.ring) * CS;

/** Adds counts to bucket `sec`, moving the head forward first. Returns false when `sec` is older than the ring. */
export function addToBucket(
  d: Float64Array,
  layout: Layout,
  sec: number,
  req: number,
  fail: number,
  e5xx: number,
  retries: number,
): boolean {
  const head = d[H.HEAD];
  if (Number.isNaN(head)) d[H.HEAD] = sec;
  else if (sec > head) rollTo(d, layout, sec);
  else if (sec <= head - layout.ring) return false;
  const o = slot(layout, sec);
  d[o + C.REQ] += req;
  d[o + C.FAIL] += fail;
  d[o + C.E5XX] += e5xx;
  d[o + C.RETRY] += retries;
  if (sec > d[H.HEAD] - layout.window) {
    d[H.W_REQ] += req;
    d[H.W_FAIL] += fail;
    d[H.W_5XX] += e5xx;
    d[H.W_RETRY] += retries;
  }
  return true;
}

/**
 * Moves the head to `sec`: buckets leaving the window are subtracted from the running sums and
 * the slots about to be reused are cleared. Callers learn (finalize) up to the watermark first.
 */
export function rollTo(d: Float64Array, layout: Layout, sec: number): void {
  const head = d[H.HEAD];
  if (Number.isNaN(head)) {
    d[H.HEAD] = sec;
    return;
  }
  if (sec <= head) return;
  const steps = Math.min(sec - head, layout.ring);
  if (sec - head >= layout.window) {
    d[H.W_REQ] = d[H.W_FAIL] = d[H.W_5XX] = d[H.W_RETRY] = 0;
  } else {
    for (let s = head + 1; s <= sec; s++) {
      const o = slot(layout, s - layout.window);
      d[H.W_REQ] -= d[o + C.REQ];
      d[H.W_FAIL] -= d[o + C.FAIL];
      d[H.W_5XX] -= d[o + C.E5XX];
      d[H.W_RETRY] -= d[o + C.RETRY];
    }
  }
  for (let k = 0; k < steps; k++) {
    const o = slot(layout, sec - k);
    d[o] = d[o + 1] = d[o + 2] = d[o + 3] = 0;
  }
  d[H.HEAD] = sec;
}

/** Sum of one counter over buckets (from, to], clipped to what the ring holds. */
export function sumBuckets(d: Float64Array, layout: Layout, counter: number, from: number, to: number): number {
  const head = d[H.HEAD];
  if (Number.isNaN(head)) return 0;
  const lo = Math.max(from, head - layout.ring);
  const hi = Math.min(to, head);
  let sum = 0;
  for (let s = lo + 1; s <= hi; s++) sum += d[slot(layout, s) + counter];
  return sum;
}

export function bucket(d: Float64Array, layout: Layout, sec: number, counter: number): number {
  const head = d[H.HEAD];
  if (Number.isNaN(head) || sec > head || sec <= head - layout.ring) return 0;
  return d[slot(layout, sec) + counter];
}

/** What the series considers normal right now. */
export interface Baseline {
  /** Failure ratio used by the rule (guarded by the floor). */
  ratio: number;
  dispersion: number;
}

export function baselineAt(d: Float64Array, layout: Layout, cfg: DetectorConfig, sec: number): Baseline {
  const b = cfg.baseline;
  let p = (d[H.F] + b.prior_ratio * b.prior_requests) / (d[H.N] + b.prior_requests);
  if (b.time_of_day && !Number.isNaN(d[H.FIRST_MS]) && sec - d[H.FIRST_MS] / 1000 >= b.tod_min_days * 86400) {
    const t = layout.todOffset + hourOf(sec) * 2;
    // The hour's own ratio, shrunk towards the global one (same prior weight).
    const pHour = (d[t] + p * b.prior_requests) / (d[t + 1] + b.prior_requests);
    if (pHour > p) p = pHour;
  }
  return { ratio: Math.max(p, b.min_ratio_floor), dispersion: d[H.PHI] };
}

const hourOf = (sec: number) => Math.floor((((sec % 86400) + 86400) % 86400) / 3600);

/**
 * Learns final buckets (FINAL, upTo] into the baseline. While `frozen`, the buckets are marked
 * final without being learnt and without decaying what was learnt before.
 */
export function learnUpTo(d: Float64Array, layout: Layout, cfg: DetectorConfig, upTo: number, frozen: boolean): void {
  const head = d[H.HEAD];
  if (Number.isNaN(head)) return;
  const final = Number.isNaN(d[H.FINAL]) ? head - layout.ring : d[H.FINAL];
  const to = Math.min(upTo, head);
  if (to <= final) return;
  if (frozen) {
    d[H.FINAL] = to;
    d[H.LEARN_SEC] = to;
    return;
  }
  const lambdaLn = -Math.LN2 / cfg.baseline.half_life_s;
  for (let s = Math.max(final, head - layout.ring) + 1; s <= to; s++) {
    const o = slot(layout, s);
    const n = d[o + C.REQ];
    if (n <= 0) continue;
    const last = d[H.LEARN_SEC];
    const decay = Number.isNaN(last) ? 1 : Math.exp(lambdaLn * Math.max(0, s - last));
    const { ratio: p, dispersion: phi } = baselineAt(d, layout, cfg, s);
    const sdB = Math.sqrt(phi * n * p * (1 - p));
    const f = Math.min(d[o + C.FAIL], n * p + 3 * sdB + 1);
    d[H.F] = d[H.F] * decay + f;
    d[H.N] = d[H.N] * decay + n;
    d[H.LEARN_SEC] = s;
    learnTimeOfDay(d, layout, cfg, s, f, n);
    learnDispersion(d, layout, cfg, s, p);
  }
  d[H.FINAL] = to;
}

function learnTimeOfDay(d: Float64Array, layout: Layout, cfg: DetectorConfig, sec: number, f: number, n: number): void {
  if (!cfg.baseline.time_of_day) return;
  const hour = hourOf(sec);
  const t = layout.todOffset + hour * 2;
  if (d[H.TOD_HOUR] !== hour) {
    d[t] *= cfg.baseline.tod_day_decay;
    d[t + 1] *= cfg.baseline.tod_day_decay;
    d[H.TOD_HOUR] = hour;
  }
  d[t] += f;
  d[t + 1] += n;
}

function learnDispersion(d: Float64Array, layout: Layout, cfg: DetectorConfig, sec: number, p: number): void {
  const n = sumBuckets(d, layout, C.REQ, sec - layout.window, sec);
  if (n <= 0) return;
  const f = sumBuckets(d, layout, C.FAIL, sec - layout.window, sec);
  const phi = d[H.PHI];
  const r2 = Math.min((f - n * p) ** 2 / (n * p * (1 - p)), 9 * phi);
  const count = d[H.PHI_COUNT];
  // Running mean while young, then an EWMA whose memory is the baseline half-life (in updates).
  const alpha = Math.max(1 / (count + 1), 1 - Math.pow(2, -1 / cfg.baseline.half_life_s));
  d[H.PHI] = Math.min(cfg.baseline.max_dispersion, Math.max(1, phi + alpha * (r2 - phi)));
  if (count < 1e6) d[H.PHI_COUNT] = count + 1;
}
