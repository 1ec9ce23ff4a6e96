import { createHash } from 'node:crypto';
import type { DetectorConfig, KeyField } from '../config/detector.js';
import type { HaproxyEvent } from '../haproxy/event.js';
import type { AlertEvent, AlertKey } from './alert.js';
import { evaluate, RULE_CODES, type Evaluation, type RuleName } from './rule.js';
import { addToBucket, H, layoutFor, learnUpTo, rollTo, SeriesPool, type Layout } from './series.js';

/** One tracked series: its key and its packed state (series.ts). */
export interface Series extends AlertKey {
  key: string;
  d: Float64Array;
  /** Recent failing lines, newest last, one per line (a single string: cheaper than an array), capped at config.samples. */
  samples: string | null;
}

export interface DetectorStats {
  series: number;
  events: number;
  late: number;
  /** Late events too old for the window (counted, stored by the caller, not evaluated). */
  tooLate: number;
  alerts: number;
}

const NOSRV = '<NOSRV>';
const REQUEST_KINDS = new Set(['http', 'tcp', 'custom']);
const SAMPLE_CHARS = 240;

/**
 * The stream detector: pure (no I/O, no wall clock), driven by event time. Feed it events in
 * roughly increasing time order with ingest(); read the alert lifecycle events it produced with
 * drainAlerts(). State is per series (see series.ts for the math, rule.ts for the decision) and
 * can be checkpointed per series (snapshot.ts).
 */
export class Detector {
  readonly layout: Layout;
  private readonly pool: SeriesPool;
  private readonly series = new Map<string, Series>();
  /** Series that are pending, firing or DOWN: re-evaluated as event time passes. */
  private readonly active = new Set<Series>();
  private readonly reloads = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly out: AlertEvent[] = [];
  private readonly keyFields: KeyField[];
  private maxMs = Number.NEGATIVE_INFINITY;
  private tickSec = Number.NEGATIVE_INFINITY;
  readonly stats: DetectorStats = { series: 0, events: 0, late: 0, tooLate: 0, alerts: 0 };

  constructor(readonly config: DetectorConfig) {
    this.layout = layoutFor(config);
    this.pool = new SeriesPool(this.layout);
    this.keyFields = config.key;
  }

  /** Latest event time seen (ms), -Infinity before the first event. */
  get eventTime(): number {
    return this.maxMs;
  }

  /** Buckets at or before this second are final. */
  get watermarkSec(): number {
    return Math.floor(this.maxMs / 1000) - this.config.allowed_lateness_s;
  }

  /** Counts one event. Returns true when it is late (older than the watermark): the caller still stores it. */
  ingest(e: HaproxyEvent): boolean {
    const ms = Date.parse(e.timestamp);
    if (Number.isNaN(ms)) return false;
    this.stats.events++;
    const late = ms < (this.watermarkSec + 1) * 1000;
    if (ms > this.maxMs) this.maxMs = ms;

    if (e.kind === 'proxy') {
      this.reloads.set(e.host ?? '', ms);
    } else if (e.kind === 'health') {
      this.onHealth(e, ms);
    } else if (REQUEST_KINDS.has(e.kind) && e.backend !== null) {
      this.onRequest(e, ms, late);
    }
    if (late) this.stats.late++;
    this.tick();
    return late;
  }

  /** Moves event time forward without an event (idle streams, end of a replay). */
  advanceTo(ms: number): void {
    if (ms > this.maxMs) this.maxMs = ms;
    this.tick();
  }

  drainAlerts(): AlertEvent[] {
    return this.out.splice(0, this.out.length);
  }

  /** Keys whose state changed since the last call (for incremental checkpoints). */
  drainDirty(): string[] {
    const keys = [...this.dirty];
    this.dirty.clear();
    return keys;
  }

  get(key: string): Series | undefined {
    return this.series.get(key);
  }

  keys(): IterableIterator<string> {
    return this.series.keys();
  }

  /** Drops series (partition revoked); returns how many were removed. */
  forget(predicate: (s: Series) => boolean): number {
    let removed = 0;
    for (const [k, s] of this.series) {
      if (!predicate(s)) continue;
      this.series.delete(k);
      this.pool.release(s.d);
      this.active.delete(s);
      this.dirty.delete(k);
      removed++;
    }
    this.stats.series = this.series.size;
    return removed;
  }

  /** Installs a restored series (snapshot.ts). */
  adopt(s: Series, eventTimeMs: number): void {
    const d = this.pool.alloc();
    d.set(s.d);
    s.d = d;
    const old = this.series.get(s.key);
    if (old) this.pool.release(old.d);
    this.series.set(s.key, s);
    this.stats.series = this.series.size;
    if (s.d[H.DOWN] === 1 || !Number.isNaN(s.d[H.FIRED_MS]) || !Number.isNaN(s.d[H.ABOVE_MS])) this.active.add(s);
    if (eventTimeMs > this.maxMs) this.maxMs = eventTimeMs;
  }

  keyOf(e: Pick<HaproxyEvent, 'host' | 'backend' | 'server'>): string {
    let k = '';
    for (let i = 0; i < this.keyFields.length; i++) {
      if (i) k += '|';
      k += e[this.keyFields[i]] ?? '-';
    }
    return k;
  }

  private seriesFor(e: Pick<HaproxyEvent, 'host' | 'backend' | 'server'>, create: boolean): Series | undefined {
    const key = this.keyOf(e);
    let s = this.series.get(key);
    if (!s && create) {
      const has = (f: KeyField) => this.keyFields.includes(f);
      s = {
        key,
        host: has('host') ? e.host : null,
        backend: has('backend') ? e.backend : null,
        server: has('server') ? e.server : null,
        d: this.pool.alloc(),
        samples: null,
      };
      this.series.set(key, s);
      this.stats.series = this.series.size;
    }
    return s;
  }

  private onRequest(e: HaproxyEvent, ms: number, late: boolean): void {
    const s = this.seriesFor(e, true)!;
    const d = s.d;
    const sec = Math.floor(ms / 1000);
    const is5xx = e.status !== null && e.status >= 500 && e.status <= 599;
    const failed = e.conn_failure || (this.config.failure_signal === 'conn_failures_or_5xx' && is5xx);
    if (Number.isNaN(d[H.FIRST_MS]) || ms < d[H.FIRST_MS]) d[H.FIRST_MS] = ms;
    if (Number.isNaN(d[H.LAST_MS]) || ms > d[H.LAST_MS]) d[H.LAST_MS] = ms;
    // Learn what is final before the ring moves on (slots are reused only once final).
    if (!Number.isNaN(d[H.HEAD]) && sec > d[H.HEAD]) learnUpTo(d, this.layout, this.config, this.watermarkSec, this.frozen(s));
    const inRing = addToBucket(d, this.layout, sec, 1, failed ? 1 : 0, is5xx ? 1 : 0, e.retries && e.retries > 0 ? e.retries : 0);
    if (late) {
      d[H.LATE]++;
      if (!inRing) this.stats.tooLate++;
    }
    if (failed) {
      if (Number.isNaN(d[H.LAST_FAIL_MS]) || ms > d[H.LAST_FAIL_MS]) d[H.LAST_FAIL_MS] = ms;
      this.keepSample(s, e);
    }
    this.dirty.add(s.key);
    this.step(s, Math.max(ms, d[H.HEAD] * 1000));
  }

  private onHealth(e: HaproxyEvent, ms: number): void {
    const state = e.health?.state?.toUpperCase();
    if (!state) return;
    if (state === 'DOWN' || state === 'NOSRV') {
      const target = state === 'NOSRV' ? { ...e, server: NOSRV } : e;
      const s = this.seriesFor(target, true)!;
      if (Number.isNaN(s.d[H.FIRST_MS])) s.d[H.FIRST_MS] = ms;
      s.d[H.DOWN] = 1;
      this.keepSample(s, e);
      this.dirty.add(s.key);
      this.step(s, ms);
    } else if (state === 'UP') {
      for (const target of [e, { ...e, server: NOSRV }]) {
        const s = this.seriesFor(target, false);
        if (!s || s.d[H.DOWN] !== 1) continue;
        s.d[H.DOWN] = 0;
        this.dirty.add(s.key);
        this.step(s, ms);
      }
    }
  }

  private keepSample(s: Series, e: HaproxyEvent): void {
    const cap = this.config.samples;
    if (cap === 0) return;
    const where = `${e.backend ?? '-'}/${e.server ?? '-'}`;
    const what =
      e.kind === 'health'
        ? `${e.health?.state ?? ''} ${e.health?.reason ?? e.message ?? ''}`
        : `${e.status ?? '-'} ${e.termination_state ?? '--'} ${e.method ?? ''} ${e.uri ?? ''}`;
    const line = `${e.timestamp} ${e.host ?? '-'} ${e.frontend ?? '-'} ${where} ${what}`.slice(0, SAMPLE_CHARS);
    let samples = s.samples === null ? line : `${s.samples}\n${line}`;
    let lines = 1;
    for (let i = samples.indexOf('\n'); i >= 0; i = samples.indexOf('\n', i + 1)) lines++;
    if (lines > cap) samples = samples.slice(samples.indexOf('\n') + 1);
    s.samples = samples;
  }

  /** Re-evaluates active series as the event-time clock (whole seconds) moves. */
  private tick(): void {
    const sec = Math.floor(this.maxMs / 1000);
    if (sec <= this.tickSec) return;
    this.tickSec = sec;
    if (this.active.size === 0) return;
    const wm = this.watermarkSec;
    for (const s of [...this.active]) {
      // An idle series: nothing arrived for it up to the watermark, so those seconds were empty.
      const d = s.d;
      if (!Number.isNaN(d[H.HEAD]) && wm > d[H.HEAD]) {
        learnUpTo(d, this.layout, this.config, wm, this.frozen(s));
        rollTo(d, this.layout, wm);
      }
      this.step(s, Math.max(wm * 1000, Number.isNaN(d[H.HEAD]) ? wm * 1000 : d[H.HEAD] * 1000));
    }
  }

  private frozen(s: Series): boolean {
    return !Number.isNaN(s.d[H.FIRED_MS]) || !Number.isNaN(s.d[H.ABOVE_MS]);
  }

  /** The alert state machine of one series at event time `now` (ms). */
  private step(s: Series, now: number): void {
    const d = s.d;
    const cfg = this.config;
    const nowSec = Math.floor(now / 1000);
    const warm = !Number.isNaN(d[H.FIRST_MS]) && now - d[H.FIRST_MS] >= cfg.baseline.warmup_s * 1000;
    const reload = this.reloads.get(s.host ?? '');
    const inGrace = reload !== undefined && now - reload < cfg.rule.reload_grace_s * 1000 && now >= reload - 1000;
    const ev = evaluate(d, this.layout, cfg, nowSec, warm, inGrace);

    d[H.HELD] = ev.rule === null ? 0 : d[H.HELD] + 1;
    if (Number.isNaN(d[H.FIRED_MS])) {
      if (ev.rule === null) {
        d[H.ABOVE_MS] = NaN;
        if (d[H.DOWN] !== 1) this.active.delete(s);
        return;
      }
      if (Number.isNaN(d[H.ABOVE_MS])) d[H.ABOVE_MS] = now;
      this.active.add(s);
      const held = now - d[H.ABOVE_MS] >= cfg.rule.sustain_s * 1000;
      const cooling = !Number.isNaN(d[H.RESOLVED_MS]) && now - d[H.RESOLVED_MS] < cfg.cooldown_s * 1000;
      if ((ev.rule !== 'conn_failures_above_normal' || held) && !cooling) {
        d[H.FIRED_MS] = now;
        d[H.RULE] = RULE_CODES.indexOf(ev.rule);
        d[H.PEAK] = ev.failures;
        d[H.CALM_MS] = NaN;
        this.dirty.add(s.key);
        this.emit(s, 'firing', ev, now);
      }
      return;
    }

    if (ev.failures > d[H.PEAK]) d[H.PEAK] = ev.failures;
    if (!ev.near) {
      d[H.CALM_MS] = NaN;
      return;
    }
    if (Number.isNaN(d[H.CALM_MS])) d[H.CALM_MS] = now;
    if (now - d[H.CALM_MS] >= cfg.resolve_after_s * 1000) {
      this.emit(s, 'resolved', ev, now);
      d[H.FIRED_MS] = NaN;
      d[H.ABOVE_MS] = NaN;
      d[H.CALM_MS] = NaN;
      d[H.RESOLVED_MS] = now;
      this.dirty.add(s.key);
      if (d[H.DOWN] !== 1) this.active.delete(s);
    }
  }

  private emit(s: Series, state: 'firing' | 'resolved', ev: Evaluation, now: number): void {
    const d = s.d;
    const firedAt = iso(d[H.FIRED_MS]);
    const rule = RULE_CODES[d[H.RULE]] as RuleName;
    const where = [s.host, s.backend, s.server].filter((x) => x !== null).join(' ');
    const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;
    const ratio = ev.requests > 0 ? ev.failures / ev.requests : 0;
    const summary =
      state === 'firing'
        ? rule === 'server_down'
          ? `${where}: HAProxy reports the server DOWN`
          : `${where}: ${ev.failures} connection failures in ${this.config.window_s}s (${pct(ratio)} of ${ev.requests} requests), normal ${pct(ev.baselineRatio)}, threshold ${Math.ceil(ev.threshold)}`
        : `${where}: back to normal (${ev.failures} failures in ${this.config.window_s}s, ${pct(ratio)}; peak ${d[H.PEAK]})`;
    this.stats.alerts++;
    this.out.push({
      alert_id: createHash('sha1').update(`${s.key}\n${firedAt}`).digest('hex').slice(0, 20),
      state,
      rule,
      summary,
      host: s.host,
      backend: s.backend,
      server: s.server,
      fired_at: firedAt,
      resolved_at: state === 'resolved' ? iso(now) : null,
      at: iso(now),
      observed: ev.failures,
      baseline: round(ev.expected),
      threshold: round(ev.threshold),
      observed_ratio: round(ratio),
      baseline_ratio: round(ev.baselineRatio),
      requests: ev.requests,
      first_seen: iso(Number.isNaN(d[H.ABOVE_MS]) ? d[H.FIRED_MS] : Math.min(d[H.ABOVE_MS], d[H.FIRED_MS])),
      last_seen: iso(Number.isNaN(d[H.LAST_FAIL_MS]) ? now : d[H.LAST_FAIL_MS]),
      samples: s.samples ? s.samples.split('\n') : [],
      evaluations: Math.max(1, d[H.HELD]),
    });
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const round = (x: number) => Math.round(x * 1e6) / 1e6;
