import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createParser } from '../../../src/haproxy/parser.js';
import { terminationCause, terminationPhase } from '../../../src/haproxy/classify.js';

const parse = createParser();

function http(server: string, timers: string, status: number, state: string): ReturnType<typeof parse> {
  return parse(`10.0.0.1:4000 [06/Feb/2009:12:14:14.655] fe be/${server} ${timers} ${status} 100 - - ${state} 1/1/1/1/0 0/0 "GET / HTTP/1.1"`);
}

function tcp(server: string, timers: string, state: string): ReturnType<typeof parse> {
  return parse(`10.0.0.1:4000 [06/Feb/2009:12:14:14.655] fe be/${server} ${timers} 100 ${state} 1/1/1/1/0 0/0`);
}

test('termination cause and phase follow section 8.5', () => {
  const causes: Record<string, string> = { C: 'client', c: 'client', S: 'server', s: 'server', P: 'proxy', L: 'local', R: 'resource', I: 'internal', D: 'down', K: 'killed', U: 'up', '-': 'none', x: 'unknown' };
  for (const [c, name] of Object.entries(causes)) assert.equal(terminationCause(`${c}-`), name);
  const phases: Record<string, string> = { R: 'request', Q: 'queue', C: 'connect', H: 'headers', D: 'data', L: 'last_ack', T: 'tarpit', '-': 'none', z: 'unknown' };
  for (const [p, name] of Object.entries(phases)) assert.equal(terminationPhase(`-${p}`), name);
  assert.equal(terminationCause(null), null);
  assert.equal(terminationPhase('-'), null);
});

// [server, timers, status, state, conn_failure, server_error, why]
const HTTP_CASES: Array<[string, string, number, string, boolean, boolean, string]> = [
  ['srv1', '0/0/1/20/21', 200, '----', false, false, 'normal request'],
  ['srv1', '0/0/1/20/21', 500, '----', false, true, "the server's own 500"],
  ['srv1', '0/0/1/20/21', 503, '--VN', false, true, "the server's own 503, cookie flags do not matter"],
  ['srv1', '0/0/1/20/900', 502, 'SD--', false, true, 'server sent a 502 then died during data'],
  ['srv1', '0/0/-1/-1/3000', 503, 'SC--', true, false, 'connection refused: HAProxy answered 503'],
  ['srv1', '0/0/-1/-1/5000', 504, 'sC--', true, false, 'connect timeout: HAProxy answered 504'],
  ['srv1', '0/0/1/-1/30000', 504, 'sH--', false, false, 'server timeout before headers: HAProxy 504'],
  ['srv1', '0/0/1/-1/12', 502, 'SH--', false, false, 'server aborted before headers: HAProxy 502'],
  ['srv1', '0/0/1/14/30', 502, 'PH--', false, false, "proxy blocked the server's response"],
  ['<NOSRV>', '0/-1/-1/-1/0', 503, 'SC--', true, false, 'no server available'],
  ['<NOSRV>', '-1/-1/-1/-1/8490', -1, 'CR--', true, false, 'DESIGN.md counts every <NOSRV> as a connection failure'],
  ['srv1', '0/0/-1/-1/10', 503, 'CC--', true, false, 'Tc -1 with a server attempted (client aborted during connect)'],
  ['srv1', '0/5000/-1/-1/5000', 503, 'sQ--', false, false, 'queue timeout: no connection was attempted'],
  ['srv1', '0/10/-1/-1/10', 503, 'CQ--', false, false, 'client gave up in the queue'],
  ['<STATS>', '0/0/0/0/0', 200, 'LR--', false, false, 'stats page served by HAProxy'],
  ['srv1', '0/0/-1/-1/0', 503, 'LR--', false, false, 'HAProxy answered locally'],
  ['srv1', '0/0/0/-1/0', 500, 'PT--', false, false, 'tarpit 500 from HAProxy'],
  ['srv1', '0/0/-1/-1/0', 503, 'RC--', true, false, 'resource exhaustion while connecting'],
  ['srv1', '0/0/1/20/21', 500, 'IH--', false, false, 'internal error'],
];

test('conn_failure and server_error on http lines', () => {
  for (const [server, timers, status, state, connFailure, serverError, why] of HTTP_CASES) {
    const r = http(server, timers, status, state);
    assert.ok(r.ok, why);
    assert.equal(r.event.conn_failure, connFailure, `conn_failure: ${why}`);
    assert.equal(r.event.server_error, serverError, `server_error: ${why}`);
  }
});

test('conn_failure on tcp lines; tcp never has server errors', () => {
  const cases: Array<[string, string, string, boolean]> = [
    ['srv1', '0/0/5007', '--', false],
    ['srv1', '0/-1/3', 'SC', true],
    ['srv1', '0/-1/3000', 'sC', true],
    ['<NOSRV>', '-1/-1/1', 'SC', true],
    ['srv1', '0/-1/10', 'CC', true],
    ['srv1', '0/0/861', 'cD', false],
  ];
  for (const [server, timers, state, expected] of cases) {
    const r = tcp(server, timers, state);
    assert.ok(r.ok);
    assert.equal(r.event.conn_failure, expected, `${server} ${timers} ${state}`);
    assert.equal(r.event.server_error, false);
    assert.equal(r.event.kind, 'tcp');
  }
});
