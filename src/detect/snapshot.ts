import type { Detector, Series } from './detector.js';
import { H, HEADER, newSeriesData, TOD_SLOTS } from './series.js';

/**
 * Checkpoints of detector state. One series encodes to a small JSON document:
 * `{"v":1,"k":key,"h":host,"b":backend,"s":server,"r":ring,"t":eventTimeMs,"d":base64(Float64Array),"x":samples}`
 * (about 1.5 KB). The packed array holds the window ring, the baseline sums, the dispersion,
 * the hour-of-day slots and the alert state, so a restore resumes an open incident too.
 * A checkpoint written under a different window/lateness (ring size) keeps the baseline and the
 * alert state but starts the ring empty.
 */
export interface SeriesCheckpoint {
  v: 1;
  k: string;
  h: string | null;
  b: string | null;
  s: string | null;
  r: number;
  t: number;
  d: string;
  x?: string[];
}

export function encodeSeries(series: Series, ring: number, eventTimeMs: number): string {
  const doc: SeriesCheckpoint = {
    v: 1,
    k: series.key,
    h: series.host,
    b: series.backend,
    s: series.server,
    r: ring,
    t: Number.isFinite(eventTimeMs) ? eventTimeMs : 0,
    d: Buffer.from(series.d.buffer, series.d.byteOffset, series.d.byteLength).toString('base64'),
  };
  if (series.samples) doc.x = series.samples.split('\n');
  return JSON.stringify(doc);
}

/** Restores one series into the detector; returns false for a document it cannot read. */
export function restoreSeries(detector: Detector, text: string | Buffer): boolean {
  let doc: SeriesCheckpoint;
  try {
    doc = JSON.parse(text.toString()) as SeriesCheckpoint;
  } catch {
    return false;
  }
  if (doc?.v !== 1 || typeof doc.k !== 'string' || typeof doc.d !== 'string') return false;
  const bytes = Buffer.from(doc.d, 'base64');
  const saved = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const layout = detector.layout;
  let d: Float64Array;
  if (doc.r === layout.ring && saved.length === layout.size) {
    d = saved;
  } else {
    // Different window settings: keep header (baseline + alert state) and hour slots, empty ring.
    d = newSeriesData(layout);
    d.set(saved.subarray(0, HEADER));
    d.set(saved.subarray(saved.length - TOD_SLOTS * 2), layout.todOffset);
    d[H.HEAD] = d[H.FINAL] = NaN;
    d[H.W_REQ] = d[H.W_FAIL] = d[H.W_5XX] = d[H.W_RETRY] = 0;
  }
  detector.adopt({ key: doc.k, host: doc.h, backend: doc.b, server: doc.s, d, samples: doc.x?.length ? doc.x.join('\n') : null }, doc.t);
  return true;
}

/** The whole detector as newline-delimited series checkpoints (backfill resume, tests). */
export function snapshotDetector(detector: Detector): string {
  const lines: string[] = [];
  for (const key of detector.keys()) lines.push(encodeSeries(detector.get(key)!, detector.layout.ring, detector.eventTime));
  return lines.join('\n');
}

export function restoreDetector(detector: Detector, snapshot: string): number {
  let n = 0;
  for (const line of snapshot.split('\n')) if (line && restoreSeries(detector, line)) n++;
  return n;
}
