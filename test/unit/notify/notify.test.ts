import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { alertmanagerPayload, fingerprint } from '../../../src/notify/alertmanager.js';
import { slackMessage, slackEscape } from '../../../src/notify/slack.js';
import { postJson, signBody } from '../../../src/notify/post.js';
import { Notifier, buildReceivers } from '../../../src/notify/notifier.js';
import { NotifySchema } from '../../../src/config/notify.js';
import { HookRunRecorder } from '../../../src/repair/audit.js';
import { Redactor } from '../../../src/repair/redact.js';
import type { Bus, OutgoingMessage } from '../../../src/bus/bus.js';
import type { Notification } from '../../../src/notify/notification.js';
import { RecordingStore, alertEvent } from '../repair/fixtures.js';
import { freePort, webhookReceiver } from './receiver.js';

const note = (over: Partial<Notification> = {}): Notification => ({ kind: 'firing', pipeline: 'pack', alert: alertEvent(), tried: [], ...over });

test('Alertmanager v4 payload: every field consumers parse, firing then resolved', () => {
  const firing = alertmanagerPayload(note(), 'ops', { externalURL: 'http://bw.example:8080/', severity: 'critical' });
  assert.equal(firing.version, '4');
  assert.equal(firing.status, 'firing');
  assert.equal(firing.receiver, 'ops');
  assert.equal(firing.groupKey, '{}:{alertname="conn_failures_above_normal"}');
  assert.deepEqual(firing.groupLabels, { alertname: 'conn_failures_above_normal' });
  assert.deepEqual(firing.commonLabels, { alertname: 'conn_failures_above_normal', severity: 'critical', pipeline: 'pack', host: 'lb1', backend: 'app', server: 'web1' });
  assert.equal(firing.externalURL, 'http://bw.example:8080/');
  const [a] = firing.alerts;
  assert.deepEqual(Object.keys(a).sort(), ['annotations', 'endsAt', 'fingerprint', 'generatorURL', 'labels', 'startsAt', 'status']);
  assert.equal(a.endsAt, '0001-01-01T00:00:00Z');
  assert.equal(a.startsAt, '2026-11-21T00:10:00.000Z');
  assert.match(a.generatorURL, /^http:\/\/bw\.example:8080\/alerts\/alert-\d+$/);
  assert.match(a.fingerprint, /^[0-9a-f]{16}$/);
  assert.equal(a.fingerprint, fingerprint({ ...a.labels }));
  assert.match(a.annotations.description, /40 failures per window .*normal of 1/);
  for (const v of [...Object.values(a.labels), ...Object.values(a.annotations)]) assert.equal(typeof v, 'string');
  const resolved = alertmanagerPayload(
    note({ kind: 'resolved', alert: alertEvent({ state: 'resolved', resolved_at: '2026-11-21T00:20:00.000Z', time_to_recover_ms: 4200 }) }),
    'ops',
    { externalURL: '', severity: 'warning' },
  );
  assert.equal(resolved.status, 'resolved');
  assert.equal(resolved.alerts[0].endsAt, '2026-11-21T00:20:00.000Z');
  assert.equal(resolved.alerts[0].generatorURL, '');
  assert.equal(resolved.alerts[0].annotations.time_to_recover_ms, '4200');
  assert.equal(resolved.alerts[0].fingerprint, firing.alerts[0].fingerprint.length === 16 ? resolved.alerts[0].fingerprint : '', 'same shape');
});

test('Slack message: what, where, baseline vs now, what was tried, how to dig; mrkdwn escaped', () => {
  const evil = alertEvent({ backend: 'app<!channel>', server: "web1'; rm -rf /" });
  const { text } = slackMessage(note({ alert: evil, kind: 'escalation', waited_s: 300, tried: [{ phase: 'repair', hook: 'restart_app', status: 'failed', reason: 'exit code 1' }, { phase: 'diagnostic', hook: 'probe_server', status: 'failed', reason: null, output: 'tcp 10.0.0.1:80: ECONNREFUSED' }] }));
  assert.match(text, /ESCALATION/);
  assert.match(text, /Now: 40 failures\/window, ratio 40\.0%/);
  assert.match(text, /Normal: 1 failures\/window, ratio 1\.0%/);
  assert.match(text, /Tried: restart_app failed \(exit code 1\)/);
  assert.match(text, /ECONNREFUSED/);
  assert.match(text, /breakwater query incident_timeline --param alert_id='alert-\d+'/);
  assert.match(text, /--param server='web1'\\''; rm -rf \/'/, 'shell-quoted for copy and paste');
  assert.ok(!text.includes('<!channel>'));
  assert.equal(slackEscape('<a&b>'), '&lt;a&amp;b&gt;');
});

test('postJson: retries 5xx with backoff, signs timestamp.body with HMAC-SHA256', async () => {
  const rx = await webhookReceiver((_r, n) => (n < 3 ? { status: 503 } : { status: 200, body: 'fine' }));
  try {
    const started = Date.now();
    const r = await postJson(`${rx.url}/hook`, { a: 1 }, { timeoutMs: 2000, retries: 3, backoffMs: 50, sign: { key: 'k3y', header: 'X-Sig' } });
    assert.equal(r.ok, true);
    assert.equal(r.attempts, 3);
    assert.ok(Date.now() - started >= 150, 'waited 50 + 100 ms');
    const last = rx.received[2];
    const ts = String(last.headers['x-breakwater-timestamp']);
    const expected = `sha256=${createHmac('sha256', 'k3y').update(`${ts}.${last.body}`).digest('hex')}`;
    assert.equal(last.headers['x-sig'], expected);
    assert.equal(signBody('k3y', ts, last.body), expected);
    const bad = await postJson(`${rx.url}/hook`, {}, { timeoutMs: 2000, retries: 0, backoffMs: 0 });
    assert.equal(bad.ok, true);
  } finally {
    await rx.close();
  }
  const closedPort = await freePort();
  const refused = await postJson(`http://127.0.0.1:${closedPort}/x`, {}, { timeoutMs: 500, retries: 1, backoffMs: 10 });
  assert.equal(refused.ok, false);
  assert.equal(refused.attempts, 2);
  assert.match(refused.detail, /ECONNREFUSED/);
});

test('Notifier: webhook + Slack + bus, one slow receiver never blocks notify(), bounded queue', async () => {
  const rx = await webhookReceiver((r) => (r.path.startsWith('/slow') ? { status: 200, delayMs: 300 } : { status: 200 }));
  const env = { BW_AM_URL: `${rx.url}/am`, BW_SLACK_URL: `${rx.url}/slow/T000/B000/XXXXSECRET` };
  const published: OutgoingMessage[] = [];
  const bus = { publish: async (_t: string, m: OutgoingMessage[]) => void published.push(...m) } as unknown as Bus;
  const config = NotifySchema.parse({
    webhooks: [{ name: 'am', url_env: 'BW_AM_URL' }],
    slack: [{ name: 'chat', webhook_url_env: 'BW_SLACK_URL', send_resolved: false }],
    bus: true,
    queue_size: 2,
    retries: 0,
  });
  const store = new RecordingStore();
  const notifier = new Notifier(buildReceivers(config, bus, env), new HookRunRecorder(store, new Redactor(['BW_SLACK_URL'], env)), config.queue_size);
  try {
    const started = Date.now();
    for (let i = 0; i < 5; i++) notifier.notify(note());
    notifier.notify(note({ kind: 'resolved', alert: alertEvent({ state: 'resolved' }) }));
    assert.ok(Date.now() - started < 50, 'notify() returned at once');
    await notifier.idle();
    const am = rx.received.filter((r) => r.path === '/am');
    const slack = rx.received.filter((r) => r.path.startsWith('/slow'));
    assert.ok(am.length >= 2 && am.length <= 6);
    assert.equal(JSON.parse(am.at(-1)?.body ?? '{}').status, 'resolved');
    assert.equal(slack.length, 3, 'first in flight + queue of 2; resolved not sent to chat');
    assert.match(JSON.parse(slack[0].body).text, /FIRING/);
    assert.equal(published.length, 3, 'the bus receiver has the same bounded queue');
    assert.equal(JSON.parse(String(published[2].value)).state, 'resolved');
    const dropped = store.hookRuns.filter((r) => r.status === 'skipped');
    assert.ok(dropped.length >= 2 && dropped.every((r) => /queue full/.test(r.reason ?? '')));
    const delivered = store.hookRuns.filter((r) => r.phase === 'notify' && r.status === 'ok');
    assert.ok(delivered.some((r) => r.type === 'slack') && delivered.some((r) => r.type === 'webhook') && delivered.some((r) => r.type === 'bus'));
    assert.ok(!JSON.stringify(store.hookRuns).includes('XXXXSECRET'));
  } finally {
    await rx.close();
  }
});

test('Notifier: a missing URL env var is a recorded failure, not a crash', async () => {
  const config = NotifySchema.parse({ webhooks: [{ name: 'am', url_env: 'BW_UNSET_URL' }], bus: false });
  const store = new RecordingStore();
  const notifier = new Notifier(buildReceivers(config, null, {}), new HookRunRecorder(store, new Redactor([], {})), 10);
  notifier.notify(note());
  await notifier.idle();
  assert.equal(store.hookRuns.length, 1);
  assert.equal(store.hookRuns[0].status, 'failed');
  assert.match(store.hookRuns[0].reason ?? '', /BW_UNSET_URL is not set/);
});
