import type { DetectorConfig } from '../config/detector.js';
import { baselineAt, C, H, sumBuckets, type Layout } from './series.js';

export type RuleName = 'server_down' | 'conn_failures_total' | 'conn_failures_above_normal';
export const RULE_CODES: RuleName[] = ['server_down', 'conn_failures_total', 'conn_failures_above_normal'];

/** One evaluation of a series' current window against its baseline. */
export interface Evaluation {
  requests: number;
  failures: number;
  /** Baseline failure ratio p and the expected failures n·p in the window. */
  baselineRatio: number;
  expected: number;
  /** Failures needed to be above normal. */
  threshold: number;
  /** Which rule holds now (null: none). */
  rule: RuleName | null;
  /** Back near the baseline (for resolving; stricter than "not above": hysteresis). */
  near: boolean;
}

/**
 * The above-normal decision (math in series.ts):
 * - server_down: HAProxy logged the server DOWN (or NOSRV for the backend);
 * - conn_failures_total: ≥ total_failure_ratio of ≥ total_failure_min_requests requests failed in
 *   the last fast_window_s seconds: a dead server pages in about a second at 20+ req/s;
 * - conn_failures_above_normal: f ≥ max(n·p + z·sd, min_failures, n·max(min_ratio, ratio_factor·p)),
 *   after warm-up and outside a reload grace period.
 * "Near" the baseline, the resolve condition, uses half the margins: f < max(n·p + z/2·sd,
 * min_failures/2, n·max(min_ratio/2, ratio_factor·p)), no hard rule, not DOWN.
 */
export function evaluate(
  d: Float64Array,
  layout: Layout,
  cfg: DetectorConfig,
  nowSec: number,
  warm: boolean,
  inReloadGrace: boolean,
): Evaluation {
  const r = cfg.rule;
  const n = d[H.W_REQ];
  const f = d[H.W_FAIL];
  const { ratio: p, dispersion: phi } = baselineAt(d, layout, cfg, nowSec);
  const expected = n * p;
  const sd = Math.sqrt(phi * n * p * (1 - p));
  const threshold = Math.max(expected + r.z * sd, r.min_failures, n * Math.max(r.min_ratio, r.ratio_factor * p));
  const nearLimit = Math.max(expected + (r.z / 2) * sd, r.min_failures / 2, n * Math.max(r.min_ratio / 2, r.ratio_factor * p));

  const head = d[H.HEAD];
  const fastReq = sumBuckets(d, layout, C.REQ, head - r.fast_window_s, head);
  const fastFail = sumBuckets(d, layout, C.FAIL, head - r.fast_window_s, head);
  const total = fastReq >= r.total_failure_min_requests && fastFail >= r.total_failure_ratio * fastReq;
  const down = r.fire_on_health_down && d[H.DOWN] === 1;

  let rule: RuleName | null = null;
  if (down) rule = 'server_down';
  else if (total) rule = 'conn_failures_total';
  else if (warm && !inReloadGrace && f >= threshold && f > 0) rule = 'conn_failures_above_normal';
  const near = !down && !total && (f < nearLimit || n === 0);
  return { requests: n, failures: f, baselineRatio: p, expected, threshold, rule, near };
}
