/**
 * Seeded generator of HAProxy log lines (httplog, tcplog) with the variants real logs show:
 * syslog prefixes, IPv6 and hidden clients, dates with and without milliseconds, -1 timers,
 * logasap '+' values, special servers, header captures with escapes, odd request lines.
 * Used by the fast-path equivalence test, the property test and bench/fuzz.ts.
 */

import { seededRandom as rng, type Rng } from '../../../src/demo/random.js';
export { rng };

export function pick<T>(r: Rng, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)];
}

function int(r: Rng, max: number): number {
  return Math.floor(r() * max);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

export const PREFIXES = [
  '',
  'haproxy[674]: ',
  'haproxy: ',
  'Feb  6 12:14:14 localhost haproxy[14389]: ',
  'Feb 06 12:14:14 - haproxy[14389]: ',
  'Oct 15 08:31:57 10.1.2.3 haproxy[1]: ',
  'Oct 15 08:31:57 lb-01.eu.example.com haproxy[1]: ',
  'Oct 15 08:31:57 haproxy[1]: ',
  '<134>Oct 15 08:31:57 haproxy[1]: ',
  '<134>1 2003-10-15T08:31:57.123Z lb1 haproxy 1 - - ',
  '2003-10-15T08:31:57+02:00 lb1 haproxy[20]: ',
];

const CLIENTS = ['10.0.1.2', '192.168.0.254', '2001:db8::1', '::1', 'fe80::1:2', '-'];
const SERVERS = ['srv1', 'app-node2', 'srv:8080', 'db/replica', '<NOSRV>', '<STATS>', '<CACHE>'];
const BACKENDS = ['static', 'bk_app', 'be-api.v2', 'px-http', '-'];
const FRONTENDS = ['http-in', 'https-in~', 'fe:80', 'www'];
const HTTP_STATES = ['----', '--VN', 'SC--', 'sC--', 'SH--', 'sH--', 'PH--', 'CR--', 'cR--', 'CD--', 'SD--', 'LR--', 'CQ--', 'sQ--', 'PR--', 'RC--', 'IH--', 'KR--', 'DI--'];
const TCP_STATES = ['--', 'SC', 'sC', 'CD', 'cD', 'SD', 'sD', 'CC', 'PC', 'RC'];
const STATUSES = [200, 200, 200, 201, 204, 301, 304, 400, 403, 404, 408, 500, 502, 503, 504, -1];
const REQUESTS = [
  'GET / HTTP/1.1',
  'GET /index.html?x=1&y=%22 HTTP/1.0',
  'POST /api/v1/items HTTP/2.0',
  'HEAD / HTTP/1.0',
  'GET http://example.com/path HTTP/1.1',
  '<BADREQ>',
  '',
  'GET /cgi-bin/bug.cgi?',
  'GET /with#22quote#22 HTTP/1.1',
];
const HEADER_VALUES = ['1wt.eu', '', 'Mozilla/5.0 (X11; Linux x86_64)', 'a#7Cb', '#7B#7D#23', 'x, y'];

function timer(r: Rng): string {
  return r() < 0.1 ? '-1' : String(int(r, r() < 0.8 ? 100 : 100000));
}

function date(r: Rng): string {
  const base = `${two(1 + int(r, 28))}/${pick(r, MONTHS)}/${2003 + int(r, 30)}:${two(int(r, 24))}:${two(int(r, 60))}:${two(int(r, 60))}`;
  return r() < 0.85 ? `${base}.${String(int(r, 1000)).padStart(3, '0')}` : base;
}

function captures(r: Rng): string {
  const n = 1 + int(r, 3);
  return `{${Array.from({ length: n }, () => pick(r, HEADER_VALUES)).join('|')}}`;
}

/** An `option httplog` message (no prefix). */
export function httplogBody(r: Rng): string {
  const plus = r() < 0.1 ? '+' : '';
  const caps = r() < 0.5 ? '' : r() < 0.5 ? `${captures(r)} ` : `${captures(r)} ${captures(r)} `;
  const req = pick(r, REQUESTS);
  const truncated = req.length > 8 && r() < 0.05;
  return (
    `${pick(r, CLIENTS)}:${r() < 0.05 ? '-' : int(r, 65536)} [${date(r)}] ${pick(r, FRONTENDS)} ${pick(r, BACKENDS)}/${pick(r, SERVERS)} ` +
    `${timer(r)}/${timer(r)}/${timer(r)}/${timer(r)}/${plus}${int(r, 100000)} ${pick(r, STATUSES)} ${plus}${int(r, 1e7)} ` +
    `${r() < 0.8 ? '-' : 'SESSID=abc'} ${r() < 0.8 ? '-' : 'SERVERID=s1'} ${pick(r, HTTP_STATES)} ` +
    `${int(r, 1000)}/${int(r, 1000)}/${int(r, 100)}/${int(r, 100)}/${r() < 0.05 ? '+' : ''}${int(r, 4)} ${int(r, 10)}/${int(r, 10)} ` +
    `${caps}"${truncated ? req.slice(0, Math.max(1, req.length - 4)) : req}${truncated ? '' : '"'}`
  );
}

/** An `option tcplog` message (no prefix). */
export function tcplogBody(r: Rng): string {
  const plus = r() < 0.1 ? '+' : '';
  return (
    `${pick(r, CLIENTS)}:${int(r, 65536)} [${date(r)}] ${pick(r, FRONTENDS)} ${pick(r, BACKENDS)}/${pick(r, SERVERS)} ` +
    `${timer(r)}/${timer(r)}/${plus}${int(r, 100000)} ${plus}${int(r, 1e7)} ${pick(r, TCP_STATES)} ` +
    `${int(r, 1000)}/${int(r, 1000)}/${int(r, 100)}/${int(r, 100)}/${int(r, 4)} ${int(r, 10)}/${int(r, 10)}`
  );
}

export function requestLine(r: Rng): string {
  return pick(r, PREFIXES) + (r() < 0.75 ? httplogBody(r) : tcplogBody(r));
}

const JUNK = ['\u0000', '\uFFFD', ' ', '"', '{', '}', '[', ']', '/', ':', '+', '-', '|', '#', '<', '>', '\t', 'é', '\u{1F600}', '9', 'a'];

/** A random edit of a line: byte flips, deletions, insertions, truncation, duplication. */
export function mutate(r: Rng, line: string): string {
  const edits = 1 + int(r, 3);
  let s = line;
  for (let i = 0; i < edits; i++) {
    const at = int(r, s.length + 1);
    switch (int(r, 6)) {
      case 0: s = s.slice(0, at); break;
      case 1: s = s.slice(0, at) + s.slice(at + 1 + int(r, 8)); break;
      case 2: s = s.slice(0, at) + pick(r, JUNK) + s.slice(at); break;
      case 3: s = s.slice(0, at) + pick(r, JUNK) + s.slice(at + 1); break;
      case 4: s = s.slice(0, at) + s.slice(int(r, s.length)); break;
      default: s = s.slice(at) + s.slice(0, at); break;
    }
  }
  return s;
}

/** Bytes that are not a log line at all, decoded like the shipper decodes files. */
export function junk(r: Rng): string {
  const n = int(r, 300);
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = int(r, 256);
  return Buffer.from(bytes).toString('utf8');
}

/** `n` lines for equivalence tests: a third valid lines of every prefix and format, a third mutated, a third junk. */
export function mixedLines(r: Rng, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(i % 3 === 0 ? requestLine(r) : i % 3 === 1 ? mutate(r, requestLine(r)) : junk(r));
  return out;
}
