import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One NAB data file: `DIR/data/<folder>/<file>.csv` with `timestamp,value` rows. */
export interface NabSeries {
  /** `<folder>/<file>.csv`, the key of labels/combined_windows.json. */
  name: string;
  /** Kept verbatim for the results file. */
  timestamps: string[];
  /** Kept verbatim too. */
  rawValues: string[];
  values: Float64Array;
}

export function listSeries(dir: string): string[] {
  const data = join(dir, 'data');
  const names: string[] = [];
  for (const folder of readdirSync(data).sort()) {
    if (!statSync(join(data, folder)).isDirectory()) continue;
    for (const file of readdirSync(join(data, folder)).sort()) if (file.endsWith('.csv')) names.push(`${folder}/${file}`);
  }
  return names;
}

export function readSeries(dir: string, name: string): NabSeries {
  const lines = readFileSync(join(dir, 'data', name), 'utf8').split(/\r?\n/);
  const header = lines[0].split(',').map((h) => h.trim());
  const ti = header.indexOf('timestamp');
  const vi = header.indexOf('value');
  if (ti < 0 || vi < 0) throw new Error(`${name}: expected a "timestamp,value" header, got "${lines[0]}"`);
  const timestamps: string[] = [];
  const values: number[] = [];
  const rawValues: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i]) continue;
    const cols = lines[i].split(',');
    timestamps.push(cols[ti]);
    const v = Number(cols[vi]);
    if (!Number.isFinite(v)) throw new Error(`${name}: row ${i + 1} has a non-numeric value "${cols[vi]}"`);
    values.push(v);
    rawValues.push(cols[vi]);
  }
  return { name, timestamps, rawValues, values: Float64Array.from(values) };
}

/** "2014-04-10 00:04:00" and "2014-04-10 00:04:00.000000" → epoch ms (compared as datetimes). */
export function parseNabTime(ts: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?/.exec(ts.trim());
  if (!m) return Number.NaN;
  const frac = (m[3] ?? '').padEnd(3, '0').slice(0, 3);
  return Date.parse(`${m[1]}T${m[2]}.${frac}Z`);
}

export type Labels = Record<string, Array<[string, string]>>;

export function readLabels(dir: string): Labels | null {
  const path = join(dir, 'labels', 'combined_windows.json');
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, 'utf8')) as Labels;
}

/** Label windows as inclusive row-index ranges (start: first row at/after; end: last row at/before). */
export function windowRows(series: NabSeries, windows: Array<[string, string]>): Array<[number, number]> {
  const times = series.timestamps.map(parseNabTime);
  const out: Array<[number, number]> = [];
  for (const [start, end] of windows) {
    const s = parseNabTime(start);
    const e = parseNabTime(end);
    const l = times.findIndex((t) => t >= s);
    let r = -1;
    for (let i = times.length - 1; i >= 0; i--) if (times[i] <= e) { r = i; break; }
    if (l >= 0 && r >= l) out.push([l, r]);
  }
  return out;
}

export function writeResults(outDir: string, series: NabSeries, scores: ArrayLike<number>): string {
  const path = join(outDir, series.name);
  mkdirSync(dirname(path), { recursive: true });
  const rows = ['timestamp,value,anomaly_score'];
  for (let i = 0; i < series.timestamps.length; i++) rows.push(`${series.timestamps[i]},${series.rawValues[i]},${scores[i]}`);
  writeFileSync(path, rows.join('\n') + '\n');
  return path;
}
