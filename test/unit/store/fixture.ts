/**
 * A small incident, built from HaproxyEvent objects directly, with known answers for every
 * saved query (see EXPECTED). Times are minutes after T0, a recent whole hour (inside the
 * tables' TTL).
 */
import type { HaproxyEvent } from '../../../src/haproxy/event.js';
import { newEvent } from '../../../src/haproxy/new-event.js';
import type { AlertEvent } from '../../../src/detect/alert.js';
import type { HookRunRow, ServerStatusRow } from '../../../src/store/store.js';

export const T0 = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000);

export function at(minutes: number, seconds = 0): string {
  return new Date(T0.getTime() + minutes * 60_000 + seconds * 1000).toISOString();
}

let seq = 0;

export function event(over: Partial<HaproxyEvent> & { minute: number; second?: number }): HaproxyEvent {
  const { minute, second, ...rest } = over;
  seq++;
  const e: HaproxyEvent = {
    ...newEvent(),
    timestamp: at(minute, second ?? seq % 60),
    host: 'lb1',
    kind: 'http',
    format: 'httplog',
    program: 'haproxy',
    pid: 1234,
    client_ip: '10.0.0.1',
    client_port: 40000 + seq,
    frontend: 'fe_main',
    bind: null,
    backend: 'be_app',
    server: 'app1',
    status: 200,
    bytes_read: 512,
    termination_state: '--',
    timers: { TR: 0, Tw: 0, Tc: 1, Tr: 5, Ta: 6 },
    retries: 0,
    actconn: 1,
    feconn: 1,
    beconn: 1,
    srv_conn: 1,
    srv_queue: 0,
    backend_queue: 0,
    method: 'GET',
    uri: '/ok',
    http_version: 'HTTP/1.1',
    request: 'GET /ok HTTP/1.1',
    conn_failure: false,
    termination_cause: 'none',
    termination_phase: 'none',
    server_error: false,
    source: '/var/log/haproxy.log',
    raw_offset: seq * 200,
    event_id: `lb1:inode42:${seq * 200}`,
    ...rest,
  };
  return e;
}

const connFailure = { status: 503, termination_state: 'SC', conn_failure: true, termination_cause: 'server', termination_phase: 'connect', timers: { TR: 0, Tw: 0, Tc: -1, Tr: -1, Ta: 3001 }, retries: 3 } as const;

/** The fixture's events, in no particular order. */
export function fixtureEvents(): HaproxyEvent[] {
  seq = 0;
  const out: HaproxyEvent[] = [];
  for (let m = 0; m < 10; m++) out.push(event({ minute: m, server: 'app1' }));
  for (let m = 10; m < 15; m++) {
    out.push(event({ minute: m, server: 'app2', uri: `/checkout?id=${m}`, ...connFailure }));
    out.push(event({ minute: m, server: 'app2', uri: `/checkout?id=${m + 100}`, ...connFailure }));
    out.push(event({ minute: m, server: 'app2', method: 'POST', uri: '/pay', status: 500, server_error: true }));
  }
  for (let i = 0; i < 3; i++) out.push(event({ minute: 12, server: 'app2', uri: '/missing', status: 404 }));
  for (let m = 10; m < 12; m++) out.push(event({ minute: m, server: 'app3', frontend: 'fe_api' }));
  out.push(event({ minute: 13, server: '<NOSRV>', uri: '/x', ...connFailure, retries: 0 }));
  out.push(event({ minute: 5, kind: 'tcp', format: 'tcplog', frontend: 'fe_db', backend: 'be_db', server: 'db1', status: null, method: null, uri: null, request: null, http_version: null, timers: { Tw: 0, Tc: 2, Tt: 100 } }));
  out.push(event({ minute: 5, kind: 'tcp', format: 'tcplog', frontend: 'fe_db', backend: 'be_db', server: 'db1', status: null, method: null, uri: null, request: null, http_version: null, termination_state: 'SC', conn_failure: true, timers: { Tw: 0, Tc: -1, Tt: 3000 } }));
  return out;
}

export const ALERT_ID = 'alert-app2-1';

function alert(state: 'firing' | 'resolved', atIso: string): AlertEvent {
  return {
    alert_id: ALERT_ID,
    state,
    rule: 'conn_failures_above_normal',
    summary: state === 'firing' ? 'be_app/app2: 2 connection failures/min, normal 0' : 'be_app/app2 recovered',
    host: 'lb1',
    backend: 'be_app',
    server: 'app2',
    fired_at: at(11),
    resolved_at: state === 'resolved' ? atIso : null,
    at: atIso,
    observed: state === 'firing' ? 2 : 0,
    baseline: 0.1,
    threshold: 1,
    observed_ratio: state === 'firing' ? 0.66 : 0,
    baseline_ratio: 0.01,
    requests: 3,
    first_seen: at(10),
    last_seen: atIso,
    samples: ['GET /checkout SC 503'],
    time_to_recover_ms: state === 'resolved' ? 240000 : null,
  };
}

export function fixtureAlerts(): AlertEvent[] {
  return [alert('firing', at(11)), alert('resolved', at(16))];
}

function run(run_id: string, phase: string, hook: string, started: string, status: HookRunRow['status'], output: string): HookRunRow {
  return {
    run_id,
    alert_id: ALERT_ID,
    phase,
    hook,
    type: phase === 'diagnostic' ? 'probe_backend' : 'restart_service',
    target: 'be_app/app2',
    started_at: started,
    finished_at: started,
    duration_ms: 120,
    status,
    exit_code: status === 'ok' ? 0 : 1,
    reason: status === 'ok' ? null : 'exit 1',
    output,
    dry_run: false,
  };
}

export function fixtureHookRuns(): HookRunRow[] {
  return [
    run('run-1', 'diagnostic', 'probe', at(11, 30), 'ok', 'connect refused'),
    run('run-2', 'repair', 'restart', at(12), 'failed', 'unit not found'),
    run('run-3', 'repair', 'restart', at(13), 'ok', 'restarted'),
  ];
}

function status(server: string, s: string, atIso: string): ServerStatusRow {
  return { at: atIso, host: 'lb1', backend: 'be_app', server, status: s, check_status: s === 'UP' ? 'L4OK' : 'L4CON', check_duration_ms: 1, weight: 1, current_sessions: 0, econ_delta: 0, eresp_delta: 0, downtime_s: 0 };
}

export function fixtureServerStatus(): ServerStatusRow[] {
  return [status('app2', 'DOWN', at(11, 10)), status('app2', 'UP', at(15)), status('app1', 'UP', at(15))];
}

/** The window covering the fixture, as query parameters. */
export const WINDOW = { from: at(0), to: at(20) };
