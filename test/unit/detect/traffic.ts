import type { HaproxyEvent } from '../../../src/haproxy/event.js';
import { newEvent } from '../../../src/haproxy/new-event.js';
import { seededRandom as rng } from '../../../src/demo/random.js';
export { rng };

export const T0 = Date.parse('2026-03-02T00:00:00.000Z');

export function event(ms: number, over: Partial<HaproxyEvent> = {}): HaproxyEvent {
  const failed = over.conn_failure ?? false;
  return {
    ...newEvent(),
    timestamp: new Date(ms).toISOString(),
    host: 'lb1',
    kind: 'http',
    format: 'httplog',
    program: 'haproxy',
    pid: 1,
    client_ip: '10.0.0.1',
    client_port: 40000,
    frontend: 'fe',
    bind: null,
    backend: 'be',
    server: 's1',
    status: failed ? 503 : 200,
    bytes_read: 100,
    termination_state: failed ? 'SC--' : '----',
    timers: null,
    retries: 0,
    actconn: 1,
    feconn: 1,
    beconn: 1,
    srv_conn: 1,
    srv_queue: 0,
    backend_queue: 0,
    method: 'GET',
    uri: '/',
    http_version: 'HTTP/1.1',
    request: 'GET / HTTP/1.1',
    conn_failure: failed,
    termination_cause: failed ? 'server' : 'none',
    termination_phase: failed ? 'connect' : 'none',
    server_error: false,
    ...over,
  };
}

/**
 * Poisson-ish traffic for one series: `rate(ms)` requests per second and `failRatio(ms)` the
 * chance each one is a connection failure, from `fromMs` for `seconds`.
 */
export function* traffic(opts: {
  fromMs: number;
  seconds: number;
  rate: (ms: number) => number;
  failRatio: (ms: number) => number;
  random: () => number;
  over?: Partial<HaproxyEvent>;
}): Generator<HaproxyEvent> {
  for (let s = 0; s < opts.seconds; s++) {
    const base = opts.fromMs + s * 1000;
    const n = Math.round(opts.rate(base) * (0.8 + 0.4 * opts.random()));
    for (let i = 0; i < n; i++) {
      const ms = base + Math.floor((i * 1000) / n);
      const failed = opts.random() < opts.failRatio(ms);
      yield event(ms, { ...opts.over, conn_failure: failed });
    }
  }
}
