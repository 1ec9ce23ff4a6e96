import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createParser } from '../../../src/haproxy/parser.js';
import { runProperty } from './property.js';

/** Property test; `npm run fuzz` (bench/fuzz.ts) runs the same property over millions of cases. */

test('any generated, mutated or junk line: a result, never a throw or internal error', () => {
  const stats = runProperty(60_000, 20261121);
  console.log(`property: ${JSON.stringify(stats)}`);
  assert.equal(stats.cases, 60_000);
  assert.ok(stats.rejected > 5_000 && stats.accepted > 25_000);
});

test('edge inputs are rejects with a reason', () => {
  const p = createParser();
  const cases: Array<[string, RegExp]> = [
    ['', /empty line/],
    ['\r\n', /empty line/],
    ['x'.repeat(1024 * 1024), /line too long/],
    ['10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /\uFFFD HTTP/1.1"', /invalid UTF-8/],
    ['10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /\0 HTTP/1.1"', /NUL/],
    ['10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1', /not a known HAProxy format/],
    ['Feb  6 12:14:14 localhost haproxy[14389]: ', /no message after the syslog prefix/],
    ['Feb  6 12:14:14 localhost haproxy[14389]: hello world', /unrecognised message/],
    ['10.0.1.2:33317 [31/Feb/2009:25:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 ""', /not a known HAProxy format/],
  ];
  for (const [line, reason] of cases) {
    const r = p(line);
    assert.ok(!r.ok, `accepted ${JSON.stringify(line.slice(0, 80))}`);
    assert.match(r.reject.reason, reason);
    assert.equal(r.reject.raw, line);
  }
  // Non-strings from careless callers are rejects too.
  const r = p(undefined as unknown as string);
  assert.ok(!r.ok);
});
