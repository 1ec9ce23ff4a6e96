import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindValues, normalizeParam, parseParamType, ParamError, parseTimeValue, scanPlaceholders } from '../../../src/store/params.js';
import { bindClientSide, quoteString } from '../../../src/store/literal.js';
import { renderTemplate } from '../../../src/store/template.js';
import { featuresFor } from '../../../src/store/features.js';
import { loadMigrations, templateContext } from '../../../src/store/migrations.js';

test('placeholders are found outside literals, quoted identifiers and comments only', () => {
  const sql = "SELECT '{a:String}', \"{b:UInt8}\" -- {c:String}\n/* {d:String} */ FROM t WHERE x = {e:String} AND ts >= {from:DateTime('UTC')}";
  assert.deepEqual(scanPlaceholders(sql).map((p) => [p.name, p.typeText]), [['e', 'String'], ['from', "DateTime('UTC')"]]);
});

test('values are validated against their type', () => {
  const u8 = parseParamType('UInt8');
  assert.equal(normalizeParam(u8, '255', 'n'), '255');
  assert.throws(() => normalizeParam(u8, '256', 'n'), ParamError);
  assert.throws(() => normalizeParam(u8, '1; DROP', 'n'), ParamError);
  assert.throws(() => normalizeParam(parseParamType('Float64'), 'NaN', 'f'), ParamError);
  assert.equal(normalizeParam(parseParamType("DateTime('UTC')"), '2026-11-20T10:00:00.5+02:00', 't'), '2026-11-20 08:00:00');
  assert.throws(() => normalizeParam(parseParamType('DateTime'), "2026-11-20' OR 1", 't'), ParamError);
  assert.throws(() => parseParamType('String) OR (1'), ParamError);
  assert.throws(() => bindValues('SELECT {x:String}', {}), /missing/);
});

test('relative times: now, now-24h, -90m', () => {
  const now = Date.UTC(2026, 10, 20, 12, 0, 0);
  assert.equal(parseTimeValue('now-24h', now).toISOString(), '2026-11-19T12:00:00.000Z');
  assert.equal(parseTimeValue('-90m', now).toISOString(), '2026-11-20T10:30:00.000Z');
  assert.equal(parseTimeValue('now', now).getTime(), now);
});

test('client-side binding escapes every way out of a string literal', () => {
  assert.equal(quoteString("a'b\\c\nd\u0000"), "'a\\'b\\\\c\\x0ad\\x00'");
  const sql = bindClientSide("SELECT 1 FROM t WHERE s = {s:String} AND n < {n:UInt32} AND t >= {t:DateTime('UTC')} LIMIT {n:UInt32} -- {s:String}", {
    s: "x' OR 1=1; --",
    n: 10,
    t: '2026-11-20 00:00:00',
  });
  assert.equal(sql, "SELECT 1 FROM t WHERE s = 'x\\' OR 1=1; --' AND n < 10 AND t >= toDateTime('2026-11-20 00:00:00', 'UTC') LIMIT 10 -- {s:String}");
  assert.equal(bindClientSide('SELECT {a:Array(String)}', { a: ['x', "y'"] }), "SELECT CAST(['x', 'y\\''] AS Array(String))");
  assert.equal(bindClientSide('SELECT {n:Nullable(Int32)}', { n: null }), 'SELECT CAST(NULL AS Nullable(Int32))');
});

test('migration templates render version-dependent clauses from one source', () => {
  const text = "a{{#if ttl}} TTL {{ttl_days}}{{else}} no-ttl{{/if}}{{#if !dateTime64}} ms{{/if}}";
  const old = featuresFor('18.16.1');
  const cur = featuresFor('26.7.2.1');
  assert.equal(renderTemplate(text, { ttl: old.ttl, dateTime64: old.dateTime64, ttl_days: 30 }), 'a no-ttl ms');
  assert.equal(renderTemplate(text, { ttl: cur.ttl, dateTime64: cur.dateTime64, ttl_days: 30 }), 'a TTL 30');
  assert.throws(() => renderTemplate('{{nope}}', {}), /unknown name/);
  assert.deepEqual([old.queryParameters, old.lowCardinalitySetting, cur.queryParameters, cur.codecs], [false, true, true, true]);
  assert.throws(() => featuresFor('1.1.54'), /too old/);
});

test('migrations 007/008 (merge algorithm, compact parts of haproxy_events) render an ALTER only where the server has the setting', () => {
  const statements = (version: string, migration: string) =>
    loadMigrations(templateContext(featuresFor(version), { ttl_days: 30, rollup_ttl_days: 400 })).find((m) => m.name.startsWith(migration))?.statements;
  assert.deepEqual(statements('18.16.1', '007_'), []);
  assert.deepEqual(statements('26.7.2.1', '007_'), ['ALTER TABLE haproxy_events MODIFY SETTING enable_vertical_merge_algorithm = 0']);
  assert.deepEqual(statements('18.16.1', '008_'), []);
  assert.deepEqual(statements('20.1.2', '008_'), [], 'MODIFY SETTING, but no compact parts yet');
  assert.deepEqual(statements('26.7.2.1', '008_'), ['ALTER TABLE haproxy_events MODIFY SETTING min_bytes_for_wide_part = 268435456']);
});
