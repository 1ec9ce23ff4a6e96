import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createParser } from '../../../src/haproxy/parser.js';
import type { HaproxyEvent } from '../../../src/haproxy/event.js';

const P = 'Feb  6 12:14:14 lb1 haproxy[1]: ';

function parse(body: string): HaproxyEvent {
  const r = createParser()(P + body);
  assert.ok(r.ok, r.ok ? '' : `rejected (${r.reject.reason}): ${body}`);
  return r.event;
}

test('server DOWN with reason, check code and remaining servers', () => {
  const ev = parse('Server be_app/srv:8080 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 1 backup servers left. 2 sessions active, 0 requeued, 0 remaining in queue.');
  assert.equal(ev.kind, 'health');
  assert.deepEqual([ev.backend, ev.server], ['be_app', 'srv:8080']);
  assert.deepEqual(ev.health, { state: 'DOWN', reason: 'Layer4 connection problem', check: 'L4CON', active_servers: 0, backup_servers: 1 });
  assert.equal(ev.host, 'lb1');
  assert.equal(ev.conn_failure, false);
  assert.match(ev.message ?? '', /Connection refused/);
});

test('server UP, maintenance, drain, health check results', () => {
  const cases: Array<[string, string, string | null]> = [
    ['Server be/s1 is UP, reason: Layer7 check passed, code: 200, check duration: 3ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.', 'UP', 'L7OK'],
    ['Server be/s1 is going DOWN for maintenance. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.', 'MAINT', null],
    ['Server be/s1 was DOWN and now enters maintenance.', 'MAINT', null],
    ['Server be/s1 is UP/READY (leaving forced maintenance).', 'UP', null],
    ['Server be/s1 enters drain state.', 'DRAIN', null],
    ['Server be/s1 is DOWN, reason: Layer7 wrong status, code: 500, info: "Internal Server Error", check duration: 2ms. 1 active and 0 backup servers left.', 'DOWN', 'L7STS'],
    ['Health check for server be/s1 failed, reason: Layer4 timeout, check duration: 2001ms, status: 2/3 UP.', 'UP', 'L4TOUT'],
    ['Health check for backup server be/s2 succeeded, reason: Layer7 check passed, code: 200, check duration: 1ms, status: 3/3 UP.', 'UP', 'L7OK'],
    ['Server be/s1 changed its IP from 10.0.0.1 to 10.0.0.2 by DNS cache.', 'ADDR', null],
  ];
  for (const [body, state, check] of cases) {
    const ev = parse(body);
    assert.equal(ev.kind, 'health', body);
    assert.equal(ev.health?.state, state, body);
    assert.equal(ev.health?.check, check, body);
    assert.equal(ev.backend, 'be', body);
  }
});

test('backend without servers', () => {
  const ev = parse('backend be_app has no server available!');
  assert.equal(ev.kind, 'health');
  assert.equal(ev.backend, 'be_app');
  assert.equal(ev.server, null);
  assert.equal(ev.health?.state, 'NOSRV');
});

test('proxy lifecycle lines', () => {
  const cases: Array<[string, string, string]> = [
    ['Proxy fe_main started.', 'fe_main', 'STARTED'],
    ['Proxy fe_main stopped (cumulated conns: FE: 847876 conns, BE: 0 conns).', 'fe_main', 'STOPPED'],
    ['Stopping frontend fe_main in 0 ms.', 'fe_main', 'STOPPING'],
    ['Stopping backend be_app in 2000 ms.', 'be_app', 'STOPPING'],
    ['Pausing proxy fe_main.', 'fe_main', 'PAUSED'],
    ['Resuming frontend fe_main.', 'fe_main', 'RESUMED'],
  ];
  for (const [body, name, state] of cases) {
    const ev = parse(body);
    assert.equal(ev.kind, 'proxy', body);
    assert.equal(ev.frontend, name, body);
    assert.equal(ev.health?.state, state, body);
    assert.equal(ev.timestamp.slice(5), '02-06T12:14:14.000Z', 'syslog date');
  }
});

test('legacy "Connect from" lines, IPv6 too', () => {
  const ev = parse('Connect from 2001:db8::7:51000 to [::1]:443 (www/TCP)');
  assert.equal(ev.kind, 'connect');
  assert.deepEqual([ev.client_ip, ev.client_port, ev.frontend], ['2001:db8::7', 51000, 'www']);
  assert.deepEqual(ev.extra, { frontend_ip: '::1', frontend_port: '443', mode: 'TCP' });
});

test('connection error lines', () => {
  const cases = [
    ['127.0.0.1:56059 [03/Dec/2012:17:35:10.380] frt/f1: Connection error during SSL handshake', 'f1', 'Connection error during SSL handshake'],
    ['::1:443 [03/Dec/2012:17:35:10.380] frt/127.0.0.1:443: SSL handshake failure', '127.0.0.1:443', 'SSL handshake failure'],
    ['10.0.0.9:1234 [03/Dec/2012:17:35:10] frt/sktst2: Timeout during SSL handshake', 'sktst2', 'Timeout during SSL handshake'],
  ];
  for (const [body, bind, message] of cases) {
    const ev = parse(body);
    assert.equal(ev.kind, 'error', body);
    assert.equal(ev.frontend, 'frt');
    assert.equal(ev.bind, bind);
    assert.equal(ev.message, message);
    assert.equal(ev.timestamp.slice(0, 19), '2012-12-03T17:35:10');
  }
});

test('OCSP update reports and unknown messages', () => {
  const ev = parse('<OCSP-UPDATE> /etc/ssl/foo.pem 2 "HTTP error" 1 0');
  assert.equal(ev.format, 'ocsp-update');
  assert.equal(ev.extra?.certificate, '/etc/ssl/foo.pem');
  const r = createParser()(P + 'Something HAProxy never writes');
  assert.ok(!r.ok);
  assert.match(r.reject.reason, /unrecognised message/);
});

test('explicit formats still recognise HAProxy status lines', () => {
  for (const format of ['http', 'tcp', 'https', '%ci %ST']) {
    const r = createParser({ format })(P + 'Server be/s1 is DOWN, reason: Layer4 timeout, check duration: 2001ms. 0 active and 0 backup servers left.');
    assert.ok(r.ok && r.event.kind === 'health', format);
    const t = createParser({ format: 'tcp' })('10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"');
    assert.ok(!t.ok, '--format tcp rejects httplog lines');
  }
});

test("HAProxy's stderr/journal level prefix before status messages", () => {
  const r = createParser()('Nov 21 00:12:00 lb1 haproxy[9]: [WARNING]  (1234) : Server be/s1 is DOWN, reason: Layer4 timeout, check duration: 2001ms. 0 active and 0 backup servers left.');
  assert.ok(r.ok);
  assert.equal(r.event.kind, 'health');
  assert.equal(r.event.health?.state, 'DOWN');
  assert.equal(r.event.extra?.level, 'WARNING');
  assert.equal(r.event.pid, 9);
  const bare = createParser()('[ALERT]    (77) : backend be has no server available!');
  assert.ok(bare.ok);
  assert.equal(bare.event.pid, 77);
  assert.equal(bare.event.health?.state, 'NOSRV');
  const notice = createParser()('[NOTICE]   (1) : haproxy version is 2.6.12');
  assert.ok(notice.ok);
  assert.deepEqual([notice.event.kind, notice.event.message, notice.event.extra?.level], ['proxy', 'haproxy version is 2.6.12', 'NOTICE']);
  assert.ok(!createParser()('[NOTICE] something else').ok);
});
