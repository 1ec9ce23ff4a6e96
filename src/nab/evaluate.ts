import { listSeries, readLabels, readSeries, windowRows, writeResults } from './corpus.js';
import { noveltyScores } from './novelty.js';
import { PROFILES, sweep, type ScoredFile, type SweepResult } from './scoring.js';

export interface NabRun {
  files: number;
  rows: number;
  /** Null when DIR has no labels/combined_windows.json. */
  scores: SweepResult[] | null;
}

/**
 * Runs the NAB-facing detector over every DIR/data/<folder>/<file>.csv, writes
 * OUT/<folder>/<file>.csv (timestamp,value,anomaly_score) and scores them when labels exist.
 * `only` keeps the files whose name contains one of the strings (a subset is normalised by its
 * own window count, SCORING.md §8).
 */
export function runNab(dir: string, outDir: string, only: string[] = []): NabRun {
  const labels = readLabels(dir);
  const scored: ScoredFile[] = [];
  let rows = 0;
  let files = 0;
  for (const name of listSeries(dir)) {
    if (only.length && !only.some((o) => name.includes(o))) continue;
    const series = readSeries(dir, name);
    const scores = noveltyScores(series.values, series.timestamps);
    writeResults(outDir, series, scores);
    files++;
    rows += scores.length;
    if (labels && labels[name]) scored.push({ name, scores, windows: windowRows(series, labels[name]) });
  }
  return { files, rows, scores: labels ? PROFILES.map((p) => sweep(scored, p)) : null };
}
