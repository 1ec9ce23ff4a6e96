/**
 * A small Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms,
 * each with optional labels. One process-wide `metrics` registry is shared by ship, process and
 * run; tests create their own Registry.
 */

export type Labels = Record<string, string | number>;

type Kind = 'counter' | 'gauge' | 'histogram';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Canonical key of a label set; label order given by the metric's declared label names. */
function labelKey(names: readonly string[], labels: Labels): string {
  for (const k of Object.keys(labels)) {
    if (!names.includes(k)) throw new Error(`unknown label '${k}' (declared: ${names.join(', ') || 'none'})`);
  }
  return names.map((n) => String(labels[n] ?? '')).join('\u0000');
}

function renderLabels(names: readonly string[], key: string, extra?: [string, string]): string {
  const values = names.length ? key.split('\u0000') : [];
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i])}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

abstract class Metric {
  abstract readonly kind: Kind;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new Error(`invalid metric name '${name}'`);
    for (const l of labelNames) if (!LABEL.test(l) || l === 'le') throw new Error(`invalid label name '${l}'`);
  }

  abstract samples(): string[];
  /** Forgets one label set (a file that is no longer tailed). */
  abstract remove(labels: Labels): void;

  render(): string {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.kind}`, ...this.samples()].join('\n');
  }
}

export class Counter extends Metric {
  readonly kind = 'counter';
  private values = new Map<string, number>();

  inc(labels: Labels = {}, value = 1): void {
    if (value < 0) throw new Error(`counter ${this.name} cannot decrease`);
    const key = labelKey(this.labelNames, labels);
    this.values.set(key, (this.values.get(key) ?? 0) + value);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }

  remove(labels: Labels): void {
    this.values.delete(labelKey(this.labelNames, labels));
  }

  samples(): string[] {
    if (this.values.size === 0 && this.labelNames.length === 0) return [`${this.name} 0`];
    return [...this.values].map(([k, v]) => `${this.name}${renderLabels(this.labelNames, k)} ${formatValue(v)}`);
  }
}

export class Gauge extends Metric {
  readonly kind = 'gauge';
  private values = new Map<string, number>();

  set(labels: Labels, value: number): void {
    this.values.set(labelKey(this.labelNames, labels), value);
  }

  inc(labels: Labels = {}, value = 1): void {
    const key = labelKey(this.labelNames, labels);
    this.values.set(key, (this.values.get(key) ?? 0) + value);
  }

  dec(labels: Labels = {}, value = 1): void {
    this.inc(labels, -value);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }

  remove(labels: Labels): void {
    this.values.delete(labelKey(this.labelNames, labels));
  }

  samples(): string[] {
    if (this.values.size === 0 && this.labelNames.length === 0) return [`${this.name} 0`];
    return [...this.values].map(([k, v]) => `${this.name}${renderLabels(this.labelNames, k)} ${formatValue(v)}`);
  }
}

interface HistogramSeries {
  counts: number[];
  sum: number;
  count: number;
}

/** Default buckets in seconds, for latencies from 1 ms to 30 s. */
export const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Histogram extends Metric {
  readonly kind = 'histogram';
  private series = new Map<string, HistogramSeries>();
  readonly buckets: number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: number[] = LATENCY_BUCKETS) {
    super(name, help, labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    const key = labelKey(this.labelNames, labels);
    let s = this.series.get(key);
    if (!s) {
      s = { counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /** Starts a timer; calling the returned function observes the elapsed seconds. */
  startTimer(labels: Labels = {}): () => number {
    const t0 = performance.now();
    return () => {
      const seconds = (performance.now() - t0) / 1000;
      this.observe(labels, seconds);
      return seconds;
    };
  }

  count(labels: Labels = {}): number {
    return this.series.get(labelKey(this.labelNames, labels))?.count ?? 0;
  }

  remove(labels: Labels): void {
    this.series.delete(labelKey(this.labelNames, labels));
  }

  samples(): string[] {
    const out: string[] = [];
    for (const [k, s] of this.series) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${renderLabels(this.labelNames, k, ['le', formatValue(b)])} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${renderLabels(this.labelNames, k, ['le', '+Inf'])} ${s.count}`);
      out.push(`${this.name}_sum${renderLabels(this.labelNames, k)} ${formatValue(s.sum)}`);
      out.push(`${this.name}_count${renderLabels(this.labelNames, k)} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  private metrics = new Map<string, Metric>();
  private collectors = new Set<() => void>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(name, () => new Counter(name, help, labelNames), 'counter') as Counter;
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(name, () => new Gauge(name, help, labelNames), 'gauge') as Gauge;
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: number[]): Histogram {
    return this.register(name, () => new Histogram(name, help, labelNames, buckets), 'histogram') as Histogram;
  }

  /** Runs before every render: refresh gauges computed on demand (bytes behind, queue sizes). */
  onCollect(fn: () => void): () => void {
    this.collectors.add(fn);
    return () => this.collectors.delete(fn);
  }

  render(): string {
    for (const fn of this.collectors) fn();
    const blocks = [...this.metrics.values()].map((m) => m.render());
    return blocks.length ? blocks.join('\n') + '\n' : '';
  }

  /** Registering the same name twice returns the first metric (modules may load twice in tests). */
  private register(name: string, make: () => Metric, kind: Kind): Metric {
    const existing = this.metrics.get(name);
    if (existing) {
      if (existing.kind !== kind) throw new Error(`metric ${name} already registered as ${existing.kind}`);
      return existing;
    }
    const m = make();
    this.metrics.set(name, m);
    return m;
  }
}

/** The process-wide registry served on /metrics. */
export const metrics = new Registry();

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
