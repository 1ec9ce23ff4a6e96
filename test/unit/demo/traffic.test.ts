import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrafficSimulation, demoTrafficOptions, syslogStamp, acceptDate, type TrafficOptions } from '../../../src/demo/traffic.js';
import { createParser } from '../../../src/haproxy/parser.js';
import type { HaproxyEvent } from '../../../src/haproxy/event.js';

const run = (options: TrafficOptions) => {
  const sim = new TrafficSimulation(options);
  const lines = [...sim.lines()];
  return { lines, truth: sim.truth };
};
const parseAll = (lines: string[]): HaproxyEvent[] => {
  const parse = createParser();
  return lines.map((l, i) => {
    const r = parse(l);
    assert.ok(r.ok, `line ${i + 1} does not parse: ${r.ok ? '' : r.reject.reason}: ${l}`);
    return r.event;
  });
};
const ms = (iso: string) => Date.parse(iso);

const demo = run(demoTrafficOptions());
const events = parseAll(demo.lines);

test('dates are written the way rsyslog and httplog write them', () => {
  const t = Date.parse('2026-11-02T09:05:07.045Z');
  assert.equal(syslogStamp(t), 'Nov  2 09:05:07');
  assert.equal(acceptDate(t), '02/Nov/2026:09:05:07.045');
});

test('the same seed gives the same lines; another seed other lines', () => {
  const short = demoTrafficOptions({ durationS: 20 });
  assert.deepEqual(run(short).lines, run(short).lines);
  assert.notDeepEqual(run({ ...short, seed: 7 }).lines, run(short).lines);
});

test('every line parses, in log-time order, at the configured rate across hosts and frontends', () => {
  const { rate, hosts, durationS } = demoTrafficOptions();
  assert.equal(demo.truth.lines, demo.lines.length);
  assert.ok(Math.abs(demo.truth.requests - rate * hosts.length * durationS) < 0.05 * rate * hosts.length * durationS);
  const stamps = demo.lines.map((l) => l.slice(0, 15));
  for (let i = 1; i < stamps.length; i++) assert.ok(stamps[i - 1] <= stamps[i], `line ${i + 1} out of order`);
  const http = events.filter((e) => e.kind === 'http');
  assert.equal(http.length, demo.truth.requests);
  assert.deepEqual(new Set(events.map((e) => e.host)), new Set(['lb1', 'lb2']));
  assert.deepEqual(new Set(http.map((e) => e.frontend)), new Set(['fe_web', 'fe_api']));
  assert.deepEqual(new Set(http.map((e) => e.backend)), new Set(['be_app', 'be_static', 'be_api']));
});

test('background noise: some 404s, 3xx, rare 5xx and lone connection failures', () => {
  const http = events.filter((e) => e.kind === 'http');
  const share = (p: (e: HaproxyEvent) => boolean) => http.filter(p).length / http.length;
  const s404 = share((e) => e.status === 404);
  assert.ok(s404 > 0.005 && s404 < 0.03, `404 share ${s404}`);
  assert.ok(share((e) => e.status !== null && e.status >= 300 && e.status < 400) > 0.01);
  assert.ok(share((e) => e.status === 500) > 0);
  const quietFailures = http.filter((e) => e.conn_failure && !(e.host === 'lb1' && e.server === 'app2')).length;
  assert.ok(quietFailures >= 1 && quietFailures / http.length < 0.002, `${quietFailures} background connection failures`);
});

test('the incident: connection failures, DOWN within fall checks, no traffic while DOWN, UP after the restart', () => {
  const o = demoTrafficOptions();
  const [inc] = demo.truth.incidents;
  assert.equal(inc.server, 'app2');
  assert.ok(inc.downLoggedAt && inc.upLoggedAt);
  const down = ms(inc.downLoggedAt);
  const up = ms(inc.upLoggedAt);
  assert.ok(down > ms(inc.deadAt) && down <= ms(inc.deadAt) + (o.fall + 1) * o.checkInterS * 1000);
  assert.ok(up > ms(inc.restartedAt) && up <= ms(inc.restartedAt) + (o.rise + 1) * o.checkInterS * 1000);

  const app2 = events.filter((e) => e.host === 'lb1' && e.backend === 'be_app' && e.server === 'app2');
  const health = app2.filter((e) => e.kind === 'health').map((e) => e.health?.state);
  assert.deepEqual(health, ['DOWN', 'UP']);
  const failures = app2.filter((e) => e.conn_failure);
  assert.equal(failures.length, demo.truth.connFailures['lb1|be_app|app2']);
  assert.ok(failures.length >= 30, `${failures.length} failures`);
  for (const f of failures) {
    assert.equal(f.termination_state, 'SC--');
    assert.equal(f.status, 503);
  }
  // Accept time: a request accepted up to `retries` turn-arounds before the incident can fail.
  const outside = failures.filter((e) => ms(e.timestamp) < ms(inc.degradedAt) - o.retries * 1000 || ms(e.timestamp) >= down);
  assert.ok(outside.length <= 3, `${outside.length} failures outside the incident (background blips only)`);
  const servedWhileDown = app2.filter((e) => e.kind === 'http' && ms(e.timestamp) > down + 100 && ms(e.timestamp) < up);
  assert.equal(servedWhileDown.length, 0);
  assert.ok(app2.some((e) => e.kind === 'http' && ms(e.timestamp) > up && e.status === 200), 'traffic again after UP');
});

test('a whole backend failing gives <NOSRV> 503s and "has no server available"', () => {
  const o = demoTrafficOptions({
    durationS: 40,
    hosts: ['lb1'],
    incidents: [{ host: 'lb1', backend: 'be_api', servers: ['api1', 'api2'], atS: 5, degradedS: 0, degradedRefusal: 0, deadS: 15 }],
  });
  const { lines, truth } = run(o);
  assert.ok(lines.some((l) => l.endsWith('backend be_api has no server available!')));
  const nosrv = parseAll(lines).filter((e) => e.server === '<NOSRV>');
  assert.ok(nosrv.length > 10);
  assert.ok(nosrv.every((e) => e.conn_failure && e.status === 503 && e.backend === 'be_api'));
  assert.equal(truth.connFailures['lb1|be_api|<NOSRV>'], nosrv.length);
  assert.equal(truth.incidents.filter((i) => i.upLoggedAt).length, 2);
});

test('an incident naming an unknown server is refused', () => {
  assert.throws(
    () => new TrafficSimulation(demoTrafficOptions({ incidents: [{ host: 'lb1', backend: 'be_app', servers: ['nope'], atS: 1, degradedS: 0, degradedRefusal: 0, deadS: 1 }] })),
    /unknown server/,
  );
});
