import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createParser } from '../../../src/haproxy/parser.js';
import type { HaproxyEvent } from '../../../src/haproxy/event.js';
import { newPrefix, readPrefix, type Prefix } from '../../../src/haproxy/syslog-prefix.js';
import { httplogBody, mutate, pick, rng } from './generate.js';

const BODY =
  '10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"';

function parse(line: string, options = {}): HaproxyEvent {
  const r = createParser(options)(line);
  assert.ok(r.ok, r.ok ? '' : `rejected: ${r.reject.reason}: ${line}`);
  return r.event;
}

const PREFIXES: Array<[string, string, string | null, string | null, number | null]> = [
  ['RFC3164, space-padded day, hostname', 'Feb  6 12:14:14 localhost haproxy[14389]: ', 'localhost', 'haproxy', 14389],
  ['RFC3164, zero-padded day, host "-"', 'Feb 06 12:14:14 - haproxy[14389]: ', null, 'haproxy', 14389],
  ['RFC3164, IP host', 'Feb  6 12:14:14 192.168.8.2 haproxy[7]: ', '192.168.8.2', 'haproxy', 7],
  ['RFC3164, FQDN host', 'Feb  6 12:14:14 lb-01.eu-west.example.com haproxy[7]: ', 'lb-01.eu-west.example.com', 'haproxy', 7],
  ['RFC3164, no host (HAProxy local format)', 'Feb  6 12:14:14 haproxy[14389]: ', null, 'haproxy', 14389],
  ['PRI + RFC3164 without host', '<134>Feb  6 12:14:14 haproxy[14389]: ', null, 'haproxy', 14389],
  ['PRI + RFC3164 with host', '<134>Feb  6 12:14:14 lb1 haproxy[14389]: ', 'lb1', 'haproxy', 14389],
  ['RFC5424', '<134>1 2009-02-06T12:14:15.003Z lb1.example.com haproxy 14389 - - ', 'lb1.example.com', 'haproxy', 14389],
  ['RFC5424 with structured data', '<134>1 2009-02-06T12:14:15Z lb1 haproxy 14389 - [meta x="a\\]b"] ', 'lb1', 'haproxy', 14389],
  ['ISO-8601 + host', '2009-02-06T13:14:14+01:00 host.example.com haproxy[20560]: ', 'host.example.com', 'haproxy', 20560],
  ['tag with pid', 'haproxy[674]: ', null, 'haproxy', 674],
  ['tag without pid', 'haproxy: ', null, 'haproxy', null],
  ['PRI only (priority format)', '<134>', null, null, null],
  ['bare line', '', null, null, null],
  ['RFC3164, host, no tag', 'Feb  6 12:14:14 lb1 ', 'lb1', null, null],
];

for (const [name, prefix, host, program, pid] of PREFIXES) {
  test(`prefix: ${name}`, () => {
    const ev = parse(prefix + BODY);
    assert.equal(ev.host, host);
    assert.equal(ev.program, program);
    assert.equal(ev.pid, pid);
    assert.equal(ev.format, 'httplog');
    assert.equal(ev.timestamp, '2009-02-06T12:14:14.655Z', 'timestamp comes from the accept date');
    assert.equal(ev.backend, 'static');
    assert.equal(ev.status, 200);
  });
}

test('lines without an accept date take the syslog date (year from the last accept date)', () => {
  const p = createParser();
  assert.ok(p('Feb  6 12:14:14 localhost haproxy[1]: ' + BODY).ok);
  const r = p('Feb  6 12:20:00 localhost haproxy[1]: Server static/srv1 is DOWN, reason: Layer4 timeout, check duration: 2001ms. 0 active and 0 backup servers left.');
  assert.ok(r.ok);
  assert.equal(r.event.timestamp, '2009-02-06T12:20:00.000Z');
  const iso = p('2021-12-15T16:55:18.250+01:00 host haproxy[1]: Proxy fe started.');
  assert.ok(iso.ok);
  assert.equal(iso.event.timestamp, '2021-12-15T15:55:18.250Z');
});

test('source timezone converts accept dates to UTC, across DST', () => {
  const winter = parse(BODY, { timezone: 'Europe/Paris' });
  assert.equal(winter.timestamp, '2009-02-06T11:14:14.655Z');
  const summer = parse(BODY.replace('06/Feb/2009', '06/Jul/2009'), { timezone: 'Europe/Paris' });
  assert.equal(summer.timestamp, '2009-07-06T10:14:14.655Z');
  const ny = parse(BODY.replace('06/Feb/2009:12:14:14.655', '08/Mar/2009:03:30:00.000'), { timezone: 'America/New_York' });
  assert.equal(ny.timestamp, '2009-03-08T07:30:00.000Z', 'first hour after the spring-forward gap is EDT');
});

test('accept dates without milliseconds', () => {
  const ev = parse(BODY.replace('12:14:14.655', '12:14:14'));
  assert.equal(ev.timestamp, '2009-02-06T12:14:14.000Z');
});

test('prefix reading with remembered hosts and tags = a fresh reading, over sequences of lines', () => {
  const r = rng(11);
  const hosts = ['lb1', 'lb2', 'lb-03.example.com', '-', '10.0.0.9', 'Server', 'haproxy[1]:', 'x'];
  const tags = ['haproxy[14389]: ', 'haproxy: ', 'haproxy[7]: ', 'hap-2[99]: ', 'haproxy[1]:', ''];
  const shared = newPrefix();
  const fields = (p: Prefix) => [p.host, p.program, p.pid, p.dateKind, p.dateKind === 0 ? -1 : p.datePos, p.body];
  let remembered = 0;
  for (let i = 0; i < 30_000; i++) {
    const day = 1 + Math.floor(r() * 28);
    const date = `${pick(r, ['Feb', 'Oct', 'Nov'])} ${day < 10 ? ' ' + day : day} 12:14:${String(Math.floor(r() * 60)).padStart(2, '0')}`;
    const lead = r() < 0.1 ? '<134>' : '';
    const hostPart = r() < 0.15 ? '' : pick(r, hosts) + ' ';
    let line = lead + date + ' ' + hostPart + pick(r, tags) + (r() < 0.5 ? httplogBody(r) : 'Server app/s1 is DOWN');
    if (r() < 0.2) line = mutate(r, line);
    if (shared.hostTags.length > 0) remembered++;
    readPrefix(line, shared);
    const fresh = newPrefix();
    readPrefix(line, fresh);
    assert.deepEqual(fields(shared), fields(fresh), JSON.stringify(line));
  }
  assert.ok(shared.hostTags.length === 8 && remembered > 20_000, 'the remembered texts were exercised');
});
