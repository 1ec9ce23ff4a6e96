/**
 * Realistic syslog-prefixed `option httplog` lines for benchmarks and sample data: several load
 * balancers, frontends, backends and servers, realistic URIs and timers, and a few percent of
 * failures of the kinds an SRE sees (connect failures `SC` with retries, `<NOSRV>` 503s, server
 * 5xx, 502 `SH`, 504 `sH`, client aborts, bad requests). Deterministic for a given seed.
 */

import { closeSync, openSync, writeSync } from 'node:fs';
import { seededRandom as rng } from '../src/demo/random.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface Backend {
  name: string;
  frontend: string;
  servers: string[];
  paths: string[];
}

const BACKENDS: Backend[] = [
  {
    name: 'app',
    frontend: 'www-https~',
    servers: ['app-01', 'app-02', 'app-03', 'app-04'],
    paths: ['/', '/login', '/cart', '/checkout', '/products/{id}', '/products/{id}/reviews?page={n}', '/search?q=shoes&page={n}'],
  },
  {
    name: 'api',
    frontend: 'api-https~',
    servers: ['api-01', 'api-02', 'api-03'],
    paths: ['/api/v1/orders/{id}', '/api/v1/orders?status=open&limit=50', '/api/v1/users/{id}/sessions', '/api/v2/inventory/{id}', '/api/v1/health'],
  },
  {
    name: 'static',
    frontend: 'www-https~',
    servers: ['cdn-origin-01', 'cdn-origin-02'],
    paths: ['/static/js/app.{id}.js', '/static/css/site.{id}.css', '/img/products/{id}.webp', '/favicon.ico'],
  },
  {
    name: 'auth',
    frontend: 'api-https~',
    servers: ['auth-01', 'auth-02'],
    paths: ['/oauth/token', '/oauth/authorize?client_id=web&response_type=code', '/.well-known/openid-configuration'],
  },
];

const HOSTS = ['lb1', 'lb2', 'lb3'];
const METHODS = ['GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE'];

const pad2 = (n: number) => (n < 10 ? '0' + n : String(n));
const pad3 = (n: number) => (n < 10 ? '00' + n : n < 100 ? '0' + n : String(n));

function syslogDate(d: Date): string {
  const day = d.getUTCDate();
  return `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ' ' + day : day} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

function acceptDate(d: Date): string {
  return `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${pad3(d.getUTCMilliseconds())}`;
}

export interface GenerateOptions {
  seed?: number;
  /** Accept date of the first line (UTC). */
  start?: Date;
  /** Mean milliseconds between requests. */
  intervalMs?: number;
  /** Share of requests that fail (connect failures, 5xx, aborts); default 0.04. */
  failureRate?: number;
}

/** The outcome part of a line: timers, status, bytes, termination state, retries. */
interface Outcome {
  server: string | null;
  timers: string;
  status: number;
  bytes: number;
  state: string;
  retries: number;
}

function outcome(r: () => number, servers: string[], failureRate: number): Outcome {
  const server = servers[Math.floor(r() * servers.length)];
  const TR = r() < 0.9 ? 0 : Math.floor(r() * 40);
  const Tw = 0;
  const Tc = r() < 0.95 ? Math.floor(r() * 2) : Math.floor(r() * 15);
  const Tr = Math.floor(5 + r() * r() * 400);
  const data = Math.floor(r() * r() * 50);
  const ok = (status: number, bytes: number): Outcome => ({
    server, timers: `${TR}/${Tw}/${Tc}/${Tr}/${TR + Tw + Tc + Tr + data}`, status, bytes, state: '----', retries: 0,
  });
  if (r() >= failureRate) {
    const x = r();
    if (x < 0.8) return ok(200, Math.floor(300 + r() * 40000));
    if (x < 0.86) return ok(304, 183);
    if (x < 0.9) return ok(301, 312);
    if (x < 0.93) return ok(201, 520);
    if (x < 0.97) return ok(404, 1204);
    if (x < 0.99) return ok(401, 390);
    return ok(403, 377);
  }
  const f = r();
  if (f < 0.3) {
    // Connection refused / timeout to the server, retried, then 503.
    const retries = 1 + Math.floor(r() * 3);
    return { server, timers: `${TR}/0/-1/-1/${3000 * retries + Math.floor(r() * 10)}`, status: 503, bytes: 217, state: 'SC--', retries };
  }
  if (f < 0.45) {
    // No server available in the backend.
    return { server: null, timers: `${TR}/-1/-1/-1/${TR}`, status: 503, bytes: 217, state: 'SC--', retries: 0 };
  }
  if (f < 0.65) {
    // The application answered 500/503.
    return { ...ok(r() < 0.7 ? 500 : 503, 2300), state: '----' };
  }
  if (f < 0.75) {
    return { server, timers: `${TR}/0/${Tc}/-1/${TR + Tc + 12}`, status: 502, bytes: 209, state: 'SH--', retries: 0 };
  }
  if (f < 0.82) {
    return { server, timers: `${TR}/0/${Tc}/-1/${30000 + TR + Tc}`, status: 504, bytes: 198, state: 'sH--', retries: 0 };
  }
  if (f < 0.95) {
    // Client went away while the response was being sent.
    return { server, timers: `${TR}/0/${Tc}/${Tr}/${TR + Tc + Tr + 2000}`, status: 200, bytes: Math.floor(r() * 9000), state: 'CD--', retries: 0 };
  }
  // Client sent nothing before the request timeout.
  return { server: null, timers: '-1/-1/-1/-1/5001', status: 408, bytes: 212, state: 'cR--', retries: 0 };
}

function uri(r: () => number, b: Backend): string {
  const p = b.paths[Math.floor(r() * b.paths.length)];
  return p.replace('{id}', String(Math.floor(r() * 99999))).replace('{n}', String(1 + Math.floor(r() * 9)));
}

/** Yields `count` httplog lines, without newlines. */
export function* generateHttpLogLines(count: number, options: GenerateOptions = {}): Generator<string> {
  const r = rng(options.seed ?? 42);
  const failureRate = options.failureRate ?? 0.04;
  const interval = options.intervalMs ?? 3;
  let t = (options.start ?? new Date(Date.UTC(2026, 10, 20, 9, 0, 0))).getTime();
  const pid = 1000 + Math.floor(r() * 30000);
  let second = -1;
  let syslogPrefix = '';
  let acceptSecond = '';
  for (let i = 0; i < count; i++) {
    t += Math.floor(r() * interval * 2);
    if (Math.floor(t / 1000) !== second) {
      second = Math.floor(t / 1000);
      const d = new Date(t);
      syslogPrefix = syslogDate(d);
      acceptSecond = acceptDate(d).slice(0, -4);
    }
    const b = BACKENDS[Math.floor(r() * BACKENDS.length)];
    const o = outcome(r, b.servers, failureRate);
    const badReq = o.state === 'cR--';
    const host = HOSTS[Math.floor(r() * HOSTS.length)];
    const client = `${10 + Math.floor(r() * 190)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}:${1024 + Math.floor(r() * 64000)}`;
    const active = 100 + Math.floor(r() * 400);
    const srvConn = o.server ? Math.floor(r() * 60) : 0;
    const conns = `${active}/${active - Math.floor(r() * 20)}/${Math.floor(active / 4)}/${srvConn}/${o.retries}`;
    const request = badReq ? '<BADREQ>' : `${METHODS[Math.floor(r() * METHODS.length)]} ${uri(r, b)} HTTP/1.1`;
    const backendServer = badReq ? `${b.frontend.replace('~', '')}/<NOSRV>` : `${b.name}/${o.server ?? '<NOSRV>'}`;
    yield `${syslogPrefix} ${host} haproxy[${pid}]: ${client} [${acceptSecond}.${pad3(t % 1000)}] ${b.frontend} ${backendServer} ` +
      `${o.timers} ${o.status} ${o.bytes} - - ${o.state} ${conns} 0/0 "${request}"`;
  }
}

/** Writes `count` generated httplog lines to `path`, 10 k lines per write. */
export function writeHttpLogFile(path: string, count: number, options: GenerateOptions = {}): void {
  const fd = openSync(path, 'w');
  try {
    let batch: string[] = [];
    for (const line of generateHttpLogLines(count, options)) {
      batch.push(line);
      if (batch.length === 10_000) {
        writeSync(fd, batch.join('\n') + '\n');
        batch = [];
      }
    }
    if (batch.length > 0) writeSync(fd, batch.join('\n') + '\n');
  } finally {
    closeSync(fd);
  }
}
