import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createParser } from '../../../src/haproxy/parser.js';
import { BUILTIN_FORMAT_STRINGS } from '../../../src/haproxy/formats.js';
import { compileLogFormat } from '../../../src/haproxy/log-format.js';
import { ALIASES, LogFormatError, tokenizeLogFormat } from '../../../src/haproxy/log-format-syntax.js';
import type { HaproxyEvent } from '../../../src/haproxy/event.js';
import { readText, requireCorpus } from '../conformance/corpus.js';

function parseWith(format: string, line: string, timezone?: string): HaproxyEvent {
  const r = createParser({ format, timezone })(line);
  assert.ok(r.ok, r.ok ? '' : `rejected (${r.reject.reason}): ${line}`);
  return r.event;
}

/** The log-format strings of the manual's section 8.2, as written there (continuations joined). */
function manualFormatStrings(): string[] {
  const text = readText('haproxy-doc/log-format-strings.txt').replace(/\\\n\s*/g, '');
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:error-)?log-format "((?:[^"\\]|\\.)*)"\s*$/gm)) {
    if (!m[1].startsWith('${')) found.push(m[1]);
  }
  return found;
}

test("the built-in formats are the manual's own log-format strings", () => {
  requireCorpus();
  const manual = manualFormatStrings().map((f) => JSON.stringify(tokenizeLogFormat(f)));
  assert.equal(manual.length, 6, 'tcplog, tcplog clf, httplog, httplog clf, httpslog, error-log-format');
  const ours = Object.values(BUILTIN_FORMAT_STRINGS).map((f) => JSON.stringify(tokenizeLogFormat(f)));
  assert.deepEqual([...ours].sort(), [...manual].sort());
});

test("every alias of the manual's table is known and compiles", () => {
  requireCorpus();
  const table = readText('haproxy-doc/log-format-aliases-table.txt');
  const aliases = [...table.matchAll(/^\s*\|\s*[HSL ]?\s*\|\s*%(\w+)\s*\|/gm)].map((m) => m[1]);
  assert.ok(aliases.length >= 60, `found ${aliases.length} aliases in the table`);
  for (const a of aliases) {
    assert.ok((ALIASES as readonly string[]).includes(a), `%${a} missing`);
    if (a !== 'o') assert.doesNotThrow(() => compileLogFormat(`%${a}`), `%${a}`);
  }
});

test('option httplog (manual example)', () => {
  const ev = parseWith('http', 'haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"');
  assert.equal(ev.format, 'httplog');
  assert.deepEqual(ev.timers, { TR: 10, Tw: 0, Tc: 30, Tr: 69, Ta: 109 });
  assert.deepEqual(ev.captured_request_headers, ['1wt.eu']);
  assert.deepEqual(ev.captured_response_headers, ['']);
  assert.deepEqual([ev.method, ev.uri, ev.http_version], ['GET', '/index.html', 'HTTP/1.1']);
});

test('option tcplog (manual example)', () => {
  const ev = parseWith('tcp', '10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0');
  assert.equal(ev.kind, 'tcp');
  assert.deepEqual(ev.timers, { Tw: 0, Tc: 0, Tt: 5007 });
  assert.equal(ev.status, null);
  assert.equal(ev.retries, 3);
});

test('option httpslog (manual example): TLS fields', () => {
  const ev = parseWith('https', '10.0.1.2:33317 [06/Feb/2009:12:14:14.655] https-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1" 0/0/0/0/0 1wt.eu/TLSv1.3/TLS_AES_256_GCM_SHA384');
  assert.equal(ev.format, 'httpslog');
  assert.deepEqual([ev.ssl_sni, ev.ssl_version, ev.ssl_ciphers, ev.ssl_fc_err, ev.ssl_c_err, ev.ssl_c_ca_err], ['1wt.eu', 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', '0', '0', '0']);
  assert.deepEqual(ev.extra, { fc_err: '0', ssl_fc_is_resumed: '0' });
});

test('option httplog clf', () => {
  const line = '10.0.1.2 - - [06/Feb/2009:13:14:14 +0100] "GET /index.html HTTP/1.1" 200 2750 "" "" 33317 655 "http-in" "static" "srv1" 10 0 30 69 109 "----" 1 1 1 1 0 0 0 "-" "-" "1wt.eu" "x#22y"';
  const ev = parseWith('clf', line);
  assert.equal(ev.format, 'httplog-clf');
  assert.equal(ev.timestamp, '2009-02-06T12:14:14.655Z', '%trg carries its zone, %ms the milliseconds');
  assert.deepEqual([ev.client_ip, ev.client_port, ev.frontend, ev.backend, ev.server], ['10.0.1.2', 33317, 'http-in', 'static', 'srv1']);
  assert.deepEqual(ev.timers, { TR: 10, Tw: 0, Tc: 30, Tr: 69, Ta: 109 });
  assert.equal(ev.termination_state, '----');
  // CLF lists every capture as its own quoted value: request and response captures run together.
  assert.deepEqual(ev.captured_request_headers, ['1wt.eu', 'x"y']);
  assert.equal(ev.request, 'GET /index.html HTTP/1.1');
});

test('option tcplog clf', () => {
  const line = '10.0.1.2 - - [06/Feb/2009:12:12:51 +0000] "TCP " 000 212 "" "" 33313 443 "fnt" "bck" "srv1" 0 0 0 5007 340 "--"-- 0 0 0 0 3 0 0 "" ""';
  const ev = parseWith('clf', line);
  assert.equal(ev.format, 'tcplog-clf');
  assert.equal(ev.kind, 'tcp');
  assert.equal(ev.timestamp, '2009-02-06T12:12:51.443Z');
  assert.deepEqual(ev.timers, { Th: 0, Tw: 0, Tc: 0, Tt: 5007 });
  assert.equal(ev.termination_state, '--');
  assert.equal(ev.extra?.bytes_uploaded, '340');
  assert.equal(ev.retries, 3);
});

test("the manual's error-log-format example", () => {
  const ev = parseWith('error-log', '127.0.0.1:56059 [03/Dec/2012:17:35:10.380] frt~ 1/1 34/1417A0C1/0/0/0 example.com/TLSv1.3/TLS_AES_256_GCM_SHA384');
  assert.equal(ev.kind, 'error');
  assert.deepEqual([ev.frontend, ev.actconn, ev.feconn, ev.ssl_fc_err, ev.ssl_sni, ev.ssl_version], ['frt~', 1, 1, '1417A0C1', 'example.com', 'TLSv1.3']);
  assert.equal(ev.extra?.fc_err, '34');
});

test('custom format: flags, samples, names, literals, %%', () => {
  const format = '%{+Q}o %{-Q}ci:%{+X}cp %{+X}Ts %b/%s %ST 100%% %[req.hdr(host),lower] %(ua)[capture.req.hdr(1)] %{+Q}HM %HU %{-Q}HV';
  const ev = parseWith(format, 'Feb  6 12:14:14 lb1 haproxy[1]: 10.0.1.2:8235 498C2996 "be"/"srv 1" 503 100% "example.com" "curl/8" "GET" "/x?y" HTTP/1.1');
  assert.equal(ev.format, 'custom');
  assert.equal(ev.kind, 'http');
  assert.equal(ev.client_port, 0x8235);
  assert.equal(ev.timestamp, '2009-02-06T12:14:14.000Z', '%Ts in hex');
  assert.equal(ev.server, 'srv 1', 'quoted values may hold spaces');
  assert.equal(ev.status, 503);
  assert.deepEqual(ev.extra, { 'req.hdr(host),lower': 'example.com', ua: 'curl/8' });
  assert.deepEqual([ev.method, ev.uri, ev.http_version], ['GET', '/x?y', 'HTTP/1.1']);
  assert.equal(ev.host, 'lb1');
});

test('custom format: hex IPv4, IPv6 split on the last colon, addresses of both sides', () => {
  const ev = parseWith('%{+X}ci:%cp %fi:%fp %si:%sp %bi:%bp %ts %Tw/%Tc/%Tt', '0A000102:80 2001:db8::1:443 [::1]:8080 10.1.1.1:4000 -- 0/1/2');
  assert.equal(ev.client_ip, '10.0.1.2');
  assert.deepEqual(ev.extra, { frontend_ip: '2001:db8::1', frontend_port: '443', server_ip: '::1', server_port: '8080', backend_source_ip: '10.1.1.1', backend_source_port: '4000' });
  assert.equal(ev.kind, 'tcp');
});

test('custom format: zoned dates and the configured timezone', () => {
  assert.equal(parseWith('[%T] %ST', '[06/Feb/2009:12:14:14 -0500] 200').timestamp, '2009-02-06T17:14:14.000Z');
  assert.equal(parseWith('[%t] %ST', '[06/Feb/2009:12:14:14.250] 200', 'Asia/Tokyo').timestamp, '2009-02-06T03:14:14.250Z');
  assert.equal(parseWith('%Ts.%ms %ST', '1234567890.042 200').timestamp, '2009-02-13T23:31:30.042Z');
});

test('config-file spelling of a format: surrounding quotes and backslash escapes', () => {
  const ev = parseWith('"%ci:%cp\\ [%tr]\\ %ft\\ \\"%r\\""', '10.0.0.1:5 [06/Feb/2009:12:14:14.655] fe "GET / HTTP/1.1"');
  assert.equal(ev.request, 'GET / HTTP/1.1');
});

test('a line that does not follow the custom format is a reject naming the place', () => {
  const p = createParser({ format: '%ci:%cp [%tr] %ft %ST' });
  const r = p('10.0.0.1:5 [06/Feb/2009:12:14:14.655] fe OK');
  assert.ok(!r.ok);
  assert.match(r.reject.reason, /bad status/);
  const t = p('10.0.0.1:5 [06/Feb/2009:12:14:14.655]');
  assert.ok(!t.ok);
  assert.match(t.reject.reason, /truncated|expected/);
});

test('bad format strings and names throw at creation, with the reason', () => {
  assert.throws(() => compileLogFormat('%ci %zz'), LogFormatError);
  assert.throws(() => compileLogFormat('%[src'), /unterminated %\[/);
  assert.throws(() => compileLogFormat('%{+Z}ci'), /unknown log-format flag/);
  assert.throws(() => compileLogFormat('just text'), /no %-variable/);
  assert.throws(() => createParser({ format: 'nginx' }), /unknown format "nginx"/);
  assert.throws(() => createParser({ timezone: 'Mars/Olympus' }), RangeError);
});
