import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectorConfig } from '../../../src/config/detector.js';
import { Detector } from '../../../src/detect/detector.js';
import type { AlertEvent } from '../../../src/detect/alert.js';
import { H } from '../../../src/detect/series.js';
import { restoreDetector, snapshotDetector } from '../../../src/detect/snapshot.js';
import type { HaproxyEvent } from '../../../src/haproxy/event.js';
import { event, rng, T0, traffic } from './traffic.js';

function run(detector: Detector, events: Iterable<HaproxyEvent>): AlertEvent[] {
  const alerts: AlertEvent[] = [];
  for (const e of events) {
    detector.ingest(e);
    alerts.push(...detector.drainAlerts());
  }
  return alerts;
}

const MIN = 60;
const steady = (rate: number, ratio: number) => ({ rate: () => rate, failRatio: () => ratio });

test('a server going to 100 % connection failures at 50 req/s alerts within 3 s of event time', () => {
  const d = new Detector(detectorConfig());
  const random = rng(1);
  const before = run(d, traffic({ fromMs: T0, seconds: 10 * MIN, ...steady(50, 0.001), random }));
  assert.deepEqual(before, []);
  const onset = T0 + 10 * MIN * 1000;
  const alerts = run(d, traffic({ fromMs: onset, seconds: 10, ...steady(50, 1), random }));
  const firing = alerts.filter((a) => a.state === 'firing');
  assert.equal(firing.length, 1);
  const delay = Date.parse(firing[0].fired_at) - onset;
  assert.ok(delay <= 3000, `fired ${delay} ms after onset`);
  assert.equal(firing[0].host, 'lb1');
  assert.equal(firing[0].server, 's1');
  assert.ok(firing[0].samples.length > 0 && firing[0].samples[0].includes('SC--'));
  assert.ok(firing[0].observed > firing[0].baseline);
});

test('a 5-point failure increase on a busy server alerts (0.5 % → 5.5 % at 500 req/s)', () => {
  const d = new Detector(detectorConfig());
  const random = rng(2);
  assert.deepEqual(run(d, traffic({ fromMs: T0, seconds: 5 * MIN, ...steady(500, 0.005), random })), []);
  const onset = T0 + 5 * MIN * 1000;
  const alerts = run(d, traffic({ fromMs: onset, seconds: 30, ...steady(500, 0.055), random }));
  const firing = alerts.filter((a) => a.state === 'firing');
  assert.equal(firing.length, 1);
  assert.equal(firing[0].rule, 'conn_failures_above_normal');
  assert.ok(Date.parse(firing[0].fired_at) - onset <= 5000);
  assert.ok(Math.abs(firing[0].baseline_ratio - 0.005) < 0.002, `baseline ${firing[0].baseline_ratio}`);
});

test('a 10x traffic surge with an unchanged failure ratio does not alert', () => {
  const d = new Detector(detectorConfig());
  const random = rng(3);
  const surgeAt = T0 + 10 * MIN * 1000;
  const alerts = run(
    d,
    traffic({ fromMs: T0, seconds: 20 * MIN, rate: (ms) => (ms < surgeAt ? 20 : 200), failRatio: () => 0.02, random }),
  );
  assert.deepEqual(alerts, []);
  assert.ok(d.get('lb1|be|s1')!.d[H.W_FAIL] > 0, 'the series did see failures');
});

test('a diurnal traffic curve at a steady failure ratio does not alert', () => {
  const d = new Detector(detectorConfig());
  const random = rng(4);
  const day = 86400;
  // 1 to 15 req/s following the time of day, 1 % failures, over two days.
  const rate = (ms: number) => 8 - 7 * Math.cos((2 * Math.PI * ((ms - T0) / 1000)) / day);
  const alerts = run(d, traffic({ fromMs: T0, seconds: 2 * day, rate, failRatio: () => 0.01, random }));
  assert.deepEqual(alerts, []);
});

test('recovery resolves after the hold time, with one incident id', () => {
  const cfg = detectorConfig({ resolve_after_s: 20 });
  const d = new Detector(cfg);
  const random = rng(5);
  run(d, traffic({ fromMs: T0, seconds: 5 * MIN, ...steady(50, 0.001), random }));
  const t1 = T0 + 5 * MIN * 1000;
  const down = run(d, traffic({ fromMs: t1, seconds: 60, ...steady(50, 1), random }));
  const t2 = t1 + 60_000;
  const up = run(d, traffic({ fromMs: t2, seconds: 2 * MIN, ...steady(50, 0.001), random }));
  const all = [...down, ...up];
  assert.deepEqual(all.map((a) => a.state), ['firing', 'resolved']);
  const resolved = all[1];
  assert.equal(resolved.alert_id, all[0].alert_id);
  const after = Date.parse(resolved.resolved_at!) - t2;
  // Window (10 s) must drain below the near-baseline line, then 20 s of calm.
  assert.ok(after >= 20_000 && after <= 35_000, `resolved ${after} ms after recovery`);
  // The incident was not learnt: the baseline is still about 0.1 %.
  assert.ok(resolved.baseline_ratio < 0.005, `baseline ${resolved.baseline_ratio}`);
});

test('a server flapping within cooldown_s of a resolve does not page again; after the cooldown it does', () => {
  const d = new Detector(detectorConfig({ resolve_after_s: 20, cooldown_s: 60 }));
  const random = rng(8);
  const phase = (fromMs: number, seconds: number, ratio: number) => run(d, traffic({ fromMs, seconds, ...steady(50, ratio), random }));
  const t1 = T0 + 5 * MIN * 1000;
  const alerts = [...phase(T0, 5 * MIN, 0.001), ...phase(t1, 20, 1), ...phase(t1 + 20_000, 40, 0.001)];
  assert.deepEqual(alerts.map((a) => a.state), ['firing', 'resolved']);
  const resolvedAt = Date.parse(alerts[1].resolved_at!);
  // A second outage 10-30 s after the resolve: held back by the cooldown.
  assert.deepEqual([...phase(t1 + 60_000, 20, 1), ...phase(t1 + 80_000, 60, 0.001)], []);
  // 80 s after the resolve: it pages again.
  const t5 = t1 + 140_000;
  assert.ok(t5 - resolvedAt > 60_000);
  const again = phase(t5, 20, 1).filter((a) => a.state === 'firing');
  assert.equal(again.length, 1);
  assert.notEqual(again[0].alert_id, alerts[0].alert_id);
});

test('one failure in three requests at night does not page', () => {
  const d = new Detector(detectorConfig());
  const alerts = run(d, [
    ...traffic({ fromMs: T0, seconds: 10 * MIN, ...steady(0.05, 0), random: rng(6) }),
    event(T0 + 10 * MIN * 1000, { conn_failure: true }),
    event(T0 + 10 * MIN * 1000 + 500),
    event(T0 + 10 * MIN * 1000 + 900),
  ]);
  assert.deepEqual(alerts, []);
});

test('an HAProxy reload (proxy lines and a short burst of failures) does not page', () => {
  const d = new Detector(detectorConfig());
  const random = rng(7);
  run(d, traffic({ fromMs: T0, seconds: 10 * MIN, ...steady(30, 0.001), random }));
  const t = T0 + 10 * MIN * 1000;
  const reload: HaproxyEvent[] = [
    event(t, { kind: 'proxy', backend: null, server: null, status: null, message: 'Proxy fe started.' }),
    event(t + 1, { kind: 'proxy', backend: 'be', server: null, status: null, message: 'Proxy be started.' }),
    ...Array.from({ length: 8 }, (_, i) => event(t + 10 + i, { conn_failure: true })),
    ...Array.from({ length: 4 }, (_, i) => event(t + 20 + i, { server: '<NOSRV>', conn_failure: true })),
  ];
  const alerts = run(d, [...reload, ...traffic({ fromMs: t + 100, seconds: 2 * MIN, ...steady(30, 0.001), random })]);
  assert.deepEqual(alerts, []);
});

test('HAProxy logging the server DOWN fires at once; UP and calm traffic resolve it', () => {
  const d = new Detector(detectorConfig({ resolve_after_s: 10 }));
  const random = rng(8);
  run(d, traffic({ fromMs: T0, seconds: 2 * MIN, ...steady(10, 0), random }));
  const t = T0 + 2 * MIN * 1000;
  const health = (ms: number, state: string) =>
    event(ms, { kind: 'health', status: null, health: { state, reason: 'Layer4 connection problem', check: 'L4CON', active_servers: 0, backup_servers: 0 } });
  const fired = run(d, [health(t, 'DOWN')]);
  assert.equal(fired.length, 1);
  assert.equal(fired[0].rule, 'server_down');
  assert.equal(fired[0].fired_at, new Date(t).toISOString());
  const later = run(d, [health(t + 30_000, 'UP'), ...traffic({ fromMs: t + 30_000, seconds: MIN, ...steady(10, 0), random })]);
  assert.deepEqual(later.map((a) => a.state), ['resolved']);
});

test('late events are counted, kept in the window when possible, and reported as late', () => {
  const d = new Detector(detectorConfig({ allowed_lateness_s: 2 }));
  d.ingest(event(T0 + 10_000));
  assert.equal(d.ingest(event(T0 + 9_000)), false, 'within the allowed lateness');
  assert.equal(d.ingest(event(T0 + 5_000, { conn_failure: true })), true);
  assert.equal(d.ingest(event(T0 - 3_600_000)), true);
  assert.equal(d.stats.late, 2);
  assert.equal(d.stats.tooLate, 1);
  const s = d.get('lb1|be|s1')!;
  assert.equal(s.d[H.W_REQ], 3);
  assert.equal(s.d[H.W_FAIL], 1);
});

test('the series key is configurable: keyed by backend only, servers are aggregated', () => {
  const d = new Detector(detectorConfig({ key: ['backend'] }));
  d.ingest(event(T0, { server: 'a' }));
  d.ingest(event(T0, { server: 'b', host: 'lb2' }));
  assert.deepEqual([...d.keys()], ['be']);
  assert.equal(d.get('be')!.host, null);
  assert.equal(d.get('be')!.d[H.W_REQ], 2);
});

test('a snapshot restores baselines and an open incident', () => {
  const cfg = detectorConfig();
  const a = new Detector(cfg);
  const random = rng(9);
  run(a, traffic({ fromMs: T0, seconds: 10 * MIN, ...steady(40, 0.01), random }));
  run(a, traffic({ fromMs: T0 + 10 * MIN * 1000, seconds: 5, ...steady(40, 1), random }));
  const snap = snapshotDetector(a);
  assert.ok(snap.length < 2500, `snapshot of one series is ${snap.length} bytes`);
  const b = new Detector(cfg);
  assert.equal(restoreDetector(b, snap), 1);
  const sa = a.get('lb1|be|s1')!.d;
  const sb = b.get('lb1|be|s1')!.d;
  assert.deepEqual([...sb], [...sa]);
  const learntN = sa[H.N];
  assert.equal(b.eventTime, a.eventTime);
  // Both continue identically: the open incident resolves in both with the same id.
  const rest = [...traffic({ fromMs: T0 + 10 * MIN * 1000 + 5000, seconds: 2 * MIN, ...steady(40, 0.01), random: rng(10) })];
  const ra = run(a, rest);
  const rb = run(b, rest);
  assert.equal(ra.length, 1);
  assert.deepEqual(rb, ra);
  // A restore under other window settings keeps the baseline.
  const c = new Detector(detectorConfig({ window_s: 20 }));
  restoreDetector(c, snap);
  assert.equal(c.get('lb1|be|s1')!.d[H.N], learntN);
});
