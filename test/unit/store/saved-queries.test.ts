import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listSavedQueries, parseSavedQuery, resolveParams } from '../../../src/store/saved-queries.js';
import { formatRows } from '../../../src/store/format.js';

test('every saved query declares a description and each placeholder it uses', () => {
  const queries = listSavedQueries();
  const names = queries.map((q) => q.name);
  for (const n of ['conn_failures_over_time', 'termination_around_alert', 'top_failing_servers', 'frontend_vs_backend_status', 'incident_timeline', 'request_mix', 'alerts']) {
    assert.ok(names.includes(n), n);
  }
  for (const q of queries) assert.ok(q.description.length > 10, `${q.name} has a description`);
});

test('an undeclared placeholder, an unknown or a missing parameter is an error', () => {
  assert.throws(() => parseSavedQuery('x', '-- description: d\nSELECT {a:String}'), /not declared/);
  const q = parseSavedQuery('x', "-- description: d\n-- param: a String | needed\n-- param: b UInt8 = 3 | optional\n-- param: c String = '' | empty\nSELECT {a:String}, {b:UInt8}, {c:String}");
  assert.deepEqual(resolveParams(q, { a: 'v' }), { a: 'v', b: '3', c: '' });
  assert.throws(() => resolveParams(q, {}), /needs --param a/);
  assert.throws(() => resolveParams(q, { a: 'v', zz: '1' }), /no parameter 'zz'/);
});

test('output formats: table, NDJSON, CSV', () => {
  const rows = [{ a: 'x,"y"', n: 1 }, { a: 'line\nbreak', n: 22 }];
  assert.equal(formatRows(rows, 'csv'), 'a,n\n"x,""y""",1\n"line\nbreak",22\n');
  assert.equal(formatRows(rows, 'json'), '{"a":"x,\\"y\\"","n":1}\n{"a":"line\\nbreak","n":22}\n');
  assert.equal(formatRows(rows, 'table'), 'a               n\n-------------  --\nx,"y"           1\nline\\x0abreak  22\n');
});
