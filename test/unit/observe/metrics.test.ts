import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../../src/observe/metrics.js';
import { startObservabilityServer } from '../../../src/observe/http.js';

test('counters, gauges and histograms render in Prometheus text format with escaped labels', () => {
  const r = new Registry();
  const lines = r.counter('bw_lines_total', 'Lines read.', ['file']);
  lines.inc({ file: '/var/log/a "x".log' }, 3);
  lines.inc({ file: '/var/log/a "x".log' });
  const behind = r.gauge('bw_bytes_behind', 'Bytes not yet read.', ['file']);
  r.onCollect(() => behind.set({ file: 'b' }, 42));
  const lat = r.histogram('bw_send_seconds', 'Send latency.', [], [0.1, 1]);
  lat.observe({}, 0.05);
  lat.observe({}, 0.5);
  lat.observe({}, 5);
  const text = r.render();
  assert.match(text, /# TYPE bw_lines_total counter\n/);
  assert.match(text, /bw_lines_total\{file="\/var\/log\/a \\"x\\".log"\} 4\n/);
  assert.match(text, /bw_bytes_behind\{file="b"\} 42\n/);
  assert.match(text, /bw_send_seconds_bucket\{le="0.1"\} 1\n/);
  assert.match(text, /bw_send_seconds_bucket\{le="1"\} 2\n/);
  assert.match(text, /bw_send_seconds_bucket\{le="\+Inf"\} 3\n/);
  assert.match(text, /bw_send_seconds_count 3\n/);
  assert.match(text, /bw_send_seconds_sum 5.55\n/);
});

test('unknown labels, bad names and decreasing counters are refused', () => {
  const r = new Registry();
  const c = r.counter('ok_total', 'x', ['a']);
  assert.throws(() => c.inc({ b: 1 }), /unknown label 'b'/);
  assert.throws(() => c.inc({}, -1), /cannot decrease/);
  assert.throws(() => r.counter('bad-name', 'x'), /invalid metric name/);
  assert.throws(() => r.gauge('ok_total', 'x'), /already registered as counter/);
  assert.equal(r.counter('ok_total', 'x', ['a']), c);
});

test('the HTTP endpoint serves /metrics, /healthz and a failing /readyz on loopback', async () => {
  const r = new Registry();
  r.counter('bw_up_total', 'x').inc();
  let ready: string | null = 'bus not connected';
  const srv = await startObservabilityServer({ port: 0, registry: r, readiness: { bus: () => ready } });
  try {
    assert.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const m = await fetch(`${srv.url}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.headers.get('content-type') ?? '', /text\/plain; version=0.0.4/);
    assert.match(await m.text(), /bw_up_total 1/);
    assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
    const notReady = await fetch(`${srv.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.match(await notReady.text(), /bus: bus not connected/);
    ready = null;
    assert.equal((await fetch(`${srv.url}/readyz`)).status, 200);
    assert.equal((await fetch(`${srv.url}/nope`)).status, 404);
  } finally {
    await srv.close();
  }
});
