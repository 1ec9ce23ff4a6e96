import { hostname } from 'node:os';
import type { Bus } from '../bus/bus.js';
import { TOPICS } from '../bus/bus.js';
import type { Store, ServerStatusRow } from '../store/store.js';
import type { StatsConfig } from '../config/stats.js';
import type { HaproxyConfig } from '../config/haproxy.js';
import { log } from '../observe/log.js';
import { numberOrNull, parseStatCsv, serverRows, type StatRow } from './csv.js';
import { parseRuntimeAddress, runtimeCommand } from './runtime-api.js';
import { healthEventOf } from './health-event.js';
import { eventKey } from '../haproxy/event.js';

/**
 * The synthetic health signal of one server at one poll: what the server-down pack's detector
 * consumes (one evaluation per poll), and what enriches alerts.
 */
export interface HealthSignal {
  at: string;
  host: string | null;
  backend: string;
  server: string;
  /** HAProxy's status word: UP, DOWN, MAINT, DRAIN, NOLB, "no check". */
  status: string;
  /** False when HAProxy considers the server DOWN (checks failing). MAINT/DRAIN are deliberate: true. */
  up: boolean;
  previous_status: string | null;
  changed: boolean;
  check_status: string | null;
  econ_delta: number | null;
  eresp_delta: number | null;
}

export interface StatsPollerOptions {
  stats: StatsConfig;
  haproxy: HaproxyConfig;
  bus?: Bus;
  store?: Store;
  /** Called with every poll's signals (after publish/store). */
  onSignals?: (signals: HealthSignal[]) => void | Promise<void>;
  /** Buffered polls for `signals()` consumers that lag; the oldest are dropped beyond it. */
  bufferedPolls?: number;
}

/** "UP 1/3" (going down) → UP, "MAINT (via b/s)" → MAINT, "no check" kept. */
export function statusWord(status: string): string {
  const s = status.trim();
  if (/^no check/i.test(s)) return 'no check';
  return (s.split(/\s+/)[0] || 'UNKNOWN').toUpperCase();
}

function cleanCheckStatus(v: string | undefined): string | null {
  const s = (v ?? '').replace(/^\*\s*/, '').trim();
  return s || null;
}

/** Polls HAProxy's server status (runtime API `show stat`, or the stats page CSV). */
export class StatsPoller {
  private readonly host: string;
  private readonly counters = new Map<string, { econ: number | null; eresp: number | null; status: string }>();
  private readonly latestByServer = new Map<string, HealthSignal>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private readonly waiters: Array<(v: IteratorResult<HealthSignal[]>) => void> = [];
  private readonly buffered: HealthSignal[][] = [];
  private stopped = false;

  constructor(private readonly opts: StatsPollerOptions) {
    this.host = opts.stats.host ?? hostname();
  }

  /** Polls now, then every interval; a failed poll is logged and retried at the next tick. */
  start(): void {
    if (this.timer) return;
    const tick = () => {
      if (this.polling) return;
      this.polling = this.pollOnce()
        .then(() => undefined)
        .catch((err: Error) => log.warn({ err: err.message }, 'stats poll failed'))
        .finally(() => {
          this.polling = null;
        });
    };
    tick();
    this.timer = setInterval(tick, this.opts.stats.interval_ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  /** The last signal seen for a server (alert enrichment), or undefined. */
  latest(backend: string, server: string): HealthSignal | undefined {
    return this.latestByServer.get(`${backend}/${server}`);
  }

  /** Every poll's signals, for a consumer that pulls (the detector of the server-down pack). */
  async *signals(): AsyncGenerator<HealthSignal[]> {
    while (!this.stopped || this.buffered.length) {
      const next = this.buffered.shift();
      if (next) {
        yield next;
        continue;
      }
      const r = await new Promise<IteratorResult<HealthSignal[]>>((res) => this.waiters.push(res));
      if (r.done) return;
      yield r.value;
    }
  }

  async fetchCsv(): Promise<string> {
    const { stats, haproxy } = this.opts;
    if (stats.source === 'socket') {
      return runtimeCommand(parseRuntimeAddress(haproxy.runtime_socket), 'show stat', { timeoutMs: stats.timeout_ms });
    }
    if (!stats.url) throw new Error('stats.url is required when stats.source is http');
    const headers: Record<string, string> = {};
    if (stats.username !== undefined) {
      const password = stats.password_env ? (process.env[stats.password_env] ?? '') : '';
      headers.authorization = `Basic ${Buffer.from(`${stats.username}:${password}`).toString('base64')}`;
    }
    const res = await fetch(stats.url, { headers, signal: AbortSignal.timeout(stats.timeout_ms) });
    if (!res.ok) throw new Error(`stats page answered HTTP ${res.status}`);
    return res.text();
  }

  /** One poll: fetch, parse, compute deltas, publish, store, signal. Returns the rows. */
  async pollOnce(now: Date = new Date()): Promise<ServerStatusRow[]> {
    const rows = serverRows(parseStatCsv(await this.fetchCsv()));
    const at = now.toISOString();
    const statusRows: ServerStatusRow[] = [];
    const signals: HealthSignal[] = [];
    for (const r of rows) {
      const { row, signal } = this.toStatus(r, at);
      statusRows.push(row);
      signals.push(signal);
    }
    const { bus, store } = this.opts;
    if (bus && this.opts.stats.publish && statusRows.length) {
      await bus.publish(
        TOPICS.stats,
        statusRows.map((s) => ({ key: `${s.host ?? ''}|${s.backend}|${s.server}`, value: JSON.stringify(s) })),
      );
    }
    if (bus && this.opts.stats.health_events) {
      const changes = signals.map(healthEventOf).filter((e) => e !== null);
      if (changes.length) await bus.publish(TOPICS.events, changes.map((e) => ({ key: eventKey(e), value: JSON.stringify(e) })));
    }
    if (store && this.opts.stats.store && statusRows.length) await store.insertServerStatus(statusRows);
    this.emit(signals);
    if (this.opts.onSignals) await this.opts.onSignals(signals);
    return statusRows;
  }

  private toStatus(r: StatRow, at: string): { row: ServerStatusRow; signal: HealthSignal } {
    const key = `${r.pxname}/${r.svname}`;
    const econ = numberOrNull(r.econ);
    const eresp = numberOrNull(r.eresp);
    const status = statusWord(r.status ?? '');
    const prev = this.counters.get(key);
    // A counter smaller than before means HAProxy reloaded: the new value is the delta.
    const delta = (cur: number | null, before: number | null | undefined) =>
      cur === null || before === null || before === undefined ? null : cur >= before ? cur - before : cur;
    const econDelta = prev ? delta(econ, prev.econ) : null;
    const erespDelta = prev ? delta(eresp, prev.eresp) : null;
    this.counters.set(key, { econ, eresp, status });
    const checkStatus = cleanCheckStatus(r.check_status);
    const row: ServerStatusRow = {
      at,
      host: this.host,
      backend: r.pxname,
      server: r.svname,
      status,
      check_status: checkStatus,
      check_duration_ms: numberOrNull(r.check_duration),
      weight: numberOrNull(r.weight),
      current_sessions: numberOrNull(r.scur),
      econ_delta: econDelta,
      eresp_delta: erespDelta,
      downtime_s: numberOrNull(r.downtime),
    };
    const signal: HealthSignal = {
      at,
      host: this.host,
      backend: r.pxname,
      server: r.svname,
      status,
      up: status !== 'DOWN',
      previous_status: prev?.status ?? null,
      changed: prev !== undefined && prev.status !== status,
      check_status: checkStatus,
      econ_delta: econDelta,
      eresp_delta: erespDelta,
    };
    this.latestByServer.set(key, signal);
    return { row, signal };
  }

  private emit(signals: HealthSignal[]): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter({ value: signals, done: false });
      return;
    }
    this.buffered.push(signals);
    const limit = this.opts.bufferedPolls ?? 100;
    if (this.buffered.length > limit) this.buffered.shift();
  }
}
