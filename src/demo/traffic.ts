import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { seededRandom as prng } from './random.js';

/**
 * Synthetic HAProxy traffic for the demo (and tests): syslog-prefixed `option httplog` lines,
 * as rsyslog writes them, for a few load balancers, frontends, backends and servers, over
 * simulated event time. Deterministic for a seed.
 *
 * What is simulated, after HAProxy's behaviour:
 * - requests arrive as a Poisson process; each frontend routes by path to a backend that
 *   balances round-robin over the servers HAProxy believes UP;
 * - background noise: 404s, redirects, 304s, rare server 500s, 502s (SH), client aborts (CD),
 *   and a rare lone connection failure;
 * - an incident: a server first refuses a share of connections (HAProxy retries each refused
 *   attempt after its 1 s turn-around; a request whose attempts are all refused ends `SC--`
 *   with 503), then dies (every attempt refused) until the health checks (inter, fall) log it
 *   DOWN and traffic moves to the others; when every server of a backend is DOWN, requests end
 *   `<NOSRV>` 503 and HAProxy logs that the backend has no server available; after its restart
 *   the checks (rise) log it UP and it takes traffic again.
 */

export interface DemoBackend {
  name: string;
  servers: string[];
  /** Median server response time (Tr) in ms. */
  medianMs: number;
}

export interface DemoFrontend {
  name: string;
  /** Share of all requests. */
  share: number;
  /** Request paths (picked uniformly); routing: the first route whose prefix matches. */
  paths: string[];
  routes: { prefix: string; backend: string }[];
}

export interface Incident {
  host: string;
  backend: string;
  /** One server, or several failing together (all of a backend: <NOSRV>). */
  servers: string[];
  /** Seconds after the start when the server starts refusing connections. */
  atS: number;
  /** Seconds it refuses only a share of connection attempts (health checks still pass). */
  degradedS: number;
  /** Probability that one connection attempt is refused while degraded. */
  degradedRefusal: number;
  /** Seconds it is dead (every connection refused) before it is restarted. */
  deadS: number;
}

export interface TrafficOptions {
  seed: number;
  /** Event time of the first request. */
  start: Date;
  durationS: number;
  /** Requests per second per load balancer. */
  rate: number;
  hosts: string[];
  frontends: DemoFrontend[];
  backends: DemoBackend[];
  incidents: Incident[];
  /** HAProxy settings the simulation follows: `retries`, `inter`, `fall`, `rise`. */
  retries: number;
  checkInterS: number;
  fall: number;
  rise: number;
}

/** When things happened, for tests and for the demo's narration. ISO strings, null if never. */
export interface IncidentTruth {
  host: string;
  backend: string;
  server: string;
  degradedAt: string;
  deadAt: string;
  restartedAt: string;
  downLoggedAt: string | null;
  upLoggedAt: string | null;
}

export interface TrafficTruth {
  lines: number;
  requests: number;
  /** Requests per `host|backend|server` that ended in a connection failure (SC, <NOSRV>). */
  connFailures: Record<string, number>;
  incidents: IncidentTruth[];
}

export const DEMO_BACKENDS: DemoBackend[] = [
  { name: 'be_app', servers: ['app1', 'app2', 'app3'], medianMs: 35 },
  { name: 'be_static', servers: ['static1', 'static2'], medianMs: 2 },
  { name: 'be_api', servers: ['api1', 'api2'], medianMs: 60 },
];

export const DEMO_FRONTENDS: DemoFrontend[] = [
  {
    name: 'fe_web',
    share: 0.7,
    paths: ['/', '/products', '/products/1234', '/products/987', '/cart', '/login', '/search?q=boots', '/static/app.js', '/static/style.css', '/static/logo.png'],
    routes: [{ prefix: '/static/', backend: 'be_static' }, { prefix: '/', backend: 'be_app' }],
  },
  {
    name: 'fe_api',
    share: 0.3,
    paths: ['/v1/orders', '/v1/orders/981', '/v1/users/me', '/v1/inventory?sku=A12', '/v1/cart/items'],
    routes: [{ prefix: '/', backend: 'be_api' }],
  },
];

/** The demo's story: lb1's be_app/app2 degrades, dies, is restarted and recovers. */
export function demoTrafficOptions(overrides: Partial<TrafficOptions> = {}): TrafficOptions {
  return {
    seed: 42,
    start: new Date('2026-11-20T09:00:00.000Z'),
    durationS: 300,
    rate: 40,
    hosts: ['lb1', 'lb2'],
    frontends: DEMO_FRONTENDS,
    backends: DEMO_BACKENDS,
    incidents: [{ host: 'lb1', backend: 'be_app', servers: ['app2'], atS: 150, degradedS: 15, degradedRefusal: 0.6, deadS: 40 }],
    retries: 2,
    checkInterS: 2,
    fall: 3,
    rise: 2,
    ...overrides,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** rsyslog's RFC 3164 stamp (UTC): `Nov  2 09:00:01`. */
export function syslogStamp(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

/** httplog's accept date: `20/Nov/2026:09:00:01.123`. */
export function acceptDate(ms: number): string {
  const d = new Date(ms);
  return `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}`;
}

/** HAProxy's own 503 page is 217 bytes on the wire. */
const ERROR_PAGE_BYTES = 217;
/** HAProxy waits this long before retrying a refused connection (min(timeout connect, 1 s)). */
const TURNAROUND_MS = 1000;
/** Lines are emitted in log (end) time; a request logs at most this long after it arrived. */
const REORDER_HORIZON_MS = 10_000;

interface ServerState {
  host: string;
  backend: string;
  name: string;
  /** HAProxy's view. */
  up: boolean;
  failStreak: number;
  okStreak: number;
  nextCheckMs: number;
  incident: { degradedFrom: number; deadFrom: number; restartAt: number; refusal: number; truth: IncidentTruth } | null;
}

interface Pending {
  at: number;
  seq: number;
  text: string;
}

export class TrafficSimulation {
  readonly truth: TrafficTruth = { lines: 0, requests: 0, connFailures: {}, incidents: [] };
  private readonly random: () => number;
  private readonly servers = new Map<string, ServerState>();
  private readonly roundRobin = new Map<string, number>();
  private readonly pids: Map<string, number>;
  private pending: Pending[] = [];
  private seq = 0;

  constructor(readonly options: TrafficOptions) {
    this.random = prng(options.seed);
    this.pids = new Map(options.hosts.map((h, i) => [h, 1200 + 37 * i]));
    const start = options.start.getTime();
    for (const host of options.hosts) {
      for (const be of options.backends) {
        for (const name of be.servers) {
          const nextCheckMs = start + Math.floor(this.random() * options.checkInterS * 1000);
          this.servers.set(`${host}|${be.name}|${name}`, { host, backend: be.name, name, up: true, failStreak: 0, okStreak: 0, nextCheckMs, incident: null });
        }
      }
    }
    for (const inc of options.incidents) {
      for (const name of inc.servers) {
        const s = this.servers.get(`${inc.host}|${inc.backend}|${name}`);
        if (!s) throw new Error(`incident names an unknown server ${inc.host} ${inc.backend}/${name}`);
        const degradedFrom = start + inc.atS * 1000;
        const deadFrom = degradedFrom + inc.degradedS * 1000;
        const restartAt = deadFrom + inc.deadS * 1000;
        const iso = (ms: number) => new Date(ms).toISOString();
        const truth: IncidentTruth = {
          host: inc.host, backend: inc.backend, server: name,
          degradedAt: iso(degradedFrom), deadAt: iso(deadFrom), restartedAt: iso(restartAt),
          downLoggedAt: null, upLoggedAt: null,
        };
        this.truth.incidents.push(truth);
        s.incident = { degradedFrom, deadFrom, restartAt, refusal: inc.degradedRefusal, truth };
      }
    }
  }

  /** The log lines in log-time order (each without a trailing newline). */
  *lines(): Generator<string> {
    const { start, durationS, rate, hosts } = this.options;
    const t0 = start.getTime();
    const end = t0 + durationS * 1000;
    const totalRate = rate * hosts.length;
    let t = t0;
    let nextFlush = t0 + 1000;
    for (;;) {
      t += (-Math.log(1 - this.random()) / totalRate) * 1000;
      if (t >= end) break;
      this.runChecksUntil(t);
      this.request(hosts[Math.floor(this.random() * hosts.length)], Math.floor(t));
      if (t >= nextFlush) {
        nextFlush += 1000;
        yield* this.flush(t - REORDER_HORIZON_MS);
      }
    }
    this.runChecksUntil(end);
    yield* this.flush(Infinity);
  }

  private *flush(upTo: number): Generator<string> {
    if (!this.pending.length) return;
    this.pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
    let i = 0;
    while (i < this.pending.length && this.pending[i].at <= upTo) {
      this.truth.lines++;
      yield this.pending[i++].text;
    }
    this.pending = this.pending.slice(i);
  }

  private emit(host: string, at: number, message: string): void {
    const line = `${syslogStamp(at)} ${host} haproxy[${this.pids.get(host)}]: ${message}`;
    this.pending.push({ at, seq: this.seq++, text: line });
  }

  /** Probability that a connection attempt to the server is refused at time t. */
  private refusal(s: ServerState, t: number): number {
    const inc = s.incident;
    if (!inc || t < inc.degradedFrom || t >= inc.restartAt) return 0;
    return t < inc.deadFrom ? inc.refusal : 1;
  }

  private runChecksUntil(t: number): void {
    const { checkInterS, fall, rise } = this.options;
    for (;;) {
      let next: ServerState | null = null;
      for (const s of this.servers.values()) if (!next || s.nextCheckMs < next.nextCheckMs) next = s;
      if (!next || next.nextCheckMs > t) return;
      const s = next;
      const at = s.nextCheckMs;
      s.nextCheckMs += checkInterS * 1000;
      // A degraded server still answers its light health check; a dead one refuses it.
      if (this.refusal(s, at) >= 1) {
        s.okStreak = 0;
        if (s.up && ++s.failStreak >= fall) this.markDown(s, at);
      } else {
        s.failStreak = 0;
        if (!s.up && ++s.okStreak >= rise) this.markUp(s, at);
      }
    }
  }

  private upCount(host: string, backend: string): number {
    let n = 0;
    for (const s of this.servers.values()) if (s.host === host && s.backend === backend && s.up) n++;
    return n;
  }

  private markDown(s: ServerState, at: number): void {
    s.up = false;
    s.okStreak = 0;
    const left = this.upCount(s.host, s.backend);
    this.emit(s.host, at, `Server ${s.backend}/${s.name} is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. ${left} active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`);
    if (left === 0) this.emit(s.host, at, `backend ${s.backend} has no server available!`);
    if (s.incident && !s.incident.truth.downLoggedAt) s.incident.truth.downLoggedAt = new Date(at).toISOString();
  }

  private markUp(s: ServerState, at: number): void {
    s.up = true;
    s.failStreak = 0;
    const online = this.upCount(s.host, s.backend);
    this.emit(s.host, at, `Server ${s.backend}/${s.name} is UP, reason: Layer7 check passed, code: 200, check duration: 1ms. ${online} active and 0 backup servers online. 0 sessions requeued, 0 total in queue.`);
    if (s.incident && !s.incident.truth.upLoggedAt) s.incident.truth.upLoggedAt = new Date(at).toISOString();
  }

  private pick<T>(items: T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  /** Log-normal around a median (sigma 0.6), capped: server response times. */
  private responseMs(median: number): number {
    const u = Math.max(1e-9, this.random());
    const v = this.random();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.min(3000, Math.max(0, Math.round(median * Math.exp(0.6 * normal))));
  }

  private frontend(): DemoFrontend {
    let r = this.random() * this.options.frontends.reduce((a, f) => a + f.share, 0);
    for (const f of this.options.frontends) if ((r -= f.share) < 0) return f;
    return this.options.frontends[this.options.frontends.length - 1];
  }

  private request(host: string, t: number): void {
    this.truth.requests++;
    const fe = this.frontend();
    const path = this.pick(fe.paths);
    const backendName = fe.routes.find((r) => path.startsWith(r.prefix))!.backend;
    const backend = this.options.backends.find((b) => b.name === backendName)!;
    const method = /^\/(cart|login|v1\/orders$|v1\/cart)/.test(path) && this.random() < 0.3 ? 'POST' : 'GET';
    const client = `10.${20 + Math.floor(this.random() * 4)}.${Math.floor(this.random() * 256)}.${1 + Math.floor(this.random() * 254)}:${1024 + Math.floor(this.random() * 64000)}`;
    const TR = this.random() < 0.8 ? 0 : Math.floor(this.random() * 5);
    const load = 1 + Math.floor(this.random() * 12);
    const request = `"${method} ${path} HTTP/1.1"`;
    const head = `${client} [${acceptDate(t)}] ${fe.name}`;
    const conns = (srvConn: number, retries: number) => `${load + 3}/${load + 2}/${load}/${srvConn}/${retries} 0/0`;

    const candidates = backend.servers
      .map((name) => this.servers.get(`${host}|${backend.name}|${name}`)!)
      .filter((s) => s.up);
    if (!candidates.length) {
      this.countFailure(host, backend.name, '<NOSRV>');
      this.emit(host, t + TR, `${head} ${backend.name}/<NOSRV> ${TR}/-1/-1/-1/${TR} 503 ${ERROR_PAGE_BYTES} - - SC-- ${conns(0, 0)} ${request}`);
      return;
    }
    const rrKey = `${host}|${backend.name}`;
    const turn = this.roundRobin.get(rrKey) ?? 0;
    this.roundRobin.set(rrKey, turn + 1);
    const server = candidates[turn % candidates.length];
    const target = `${backend.name}/${server.name}`;
    const srvConn = Math.max(0, Math.floor(load / backend.servers.length));

    // Connection attempts: each refused one costs a turn-around before the retry.
    let refused = 0;
    const blip = this.random() < 0.0005; // background noise: a lone failure (listen backlog full)
    while (refused <= this.options.retries && (blip || this.random() < this.refusal(server, t + refused * TURNAROUND_MS))) refused++;
    if (refused > this.options.retries) {
      const Ta = TR + this.options.retries * TURNAROUND_MS + Math.floor(this.random() * 3);
      this.countFailure(host, backend.name, server.name);
      this.emit(host, t + Ta, `${head} ${target} ${TR}/0/-1/-1/${Ta} 503 ${ERROR_PAGE_BYTES} - - SC-- ${conns(srvConn, this.options.retries)} ${request}`);
      return;
    }
    const Tc = refused * TURNAROUND_MS + (this.random() < 0.9 ? 0 : 1);
    let Tr = this.responseMs(backend.medianMs);
    let status = 200;
    let bytes = 400 + Math.floor(this.random() * 4000);
    let state = '----';
    const r = this.random();
    if (r < 0.015) [status, bytes] = [404, 150 + Math.floor(this.random() * 50)];
    else if (r < 0.017) [status, bytes] = [500, 180];
    else if (r < 0.0175) [status, bytes, Tr, state] = [502, ERROR_PAGE_BYTES, -1, 'SH--'];
    else if (r < 0.0195) state = 'CD--';
    else if (r < 0.03) [status, bytes] = [path === '/login' ? 302 : 301, 120];
    else if (backend.name === 'be_static' && r < 0.25) [status, bytes] = [304, 90];
    const Ta = TR + Tc + Math.max(Tr, 0) + Math.floor(this.random() * 3);
    this.emit(host, t + Ta, `${head} ${target} ${TR}/0/${Tc}/${Tr}/${Ta} ${status} ${bytes} - - ${state} ${conns(srvConn, refused)} ${request}`);
  }

  private countFailure(host: string, backend: string, server: string): void {
    const key = `${host}|${backend}|${server}`;
    this.truth.connFailures[key] = (this.truth.connFailures[key] ?? 0) + 1;
  }
}

/** Writes the simulation's lines to a file; returns what happened when. */
export async function writeTrafficFile(path: string, options: TrafficOptions): Promise<TrafficTruth> {
  const sim = new TrafficSimulation(options);
  const out = createWriteStream(path);
  for (const line of sim.lines()) {
    if (!out.write(line + '\n')) await once(out, 'drain');
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return sim.truth;
}
