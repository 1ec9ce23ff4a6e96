import { test } from 'node:test';
import assert from 'node:assert/strict';
import { featuresFor } from '../../../src/store/features.js';
import { loadMigrations, templateContext } from '../../../src/store/migrations.js';
import { NativeEncoder } from '../../../src/store/native.js';
import { eventColumns, eventValues, TimeFormat } from '../../../src/store/rows.js';
import { createParser } from '../../../src/haproxy/parser.js';
import type { HaproxyEvent } from '../../../src/haproxy/event.js';
import { generateHttpLogLines } from '../../../bench/gen-lines.js';
import { CORPUS_LOGS, corpusLines, requireCorpus } from '../conformance/corpus.js';
import { mixedLines, rng } from '../haproxy/generate.js';

/** Events of the corpus, generated httplog lines and generated/mutated/junk lines (the ones that parse), as the processor gets them (through JSON). */
function events(): HaproxyEvent[] {
  requireCorpus();
  const texts = CORPUS_LOGS.flatMap((f) => corpusLines(f).map((l) => l.text));
  texts.push(...generateHttpLogLines(10_000, { seed: 5, failureRate: 0.2 }));
  texts.push(...mixedLines(rng(23), 15_000));
  const parse = createParser();
  return texts.flatMap((t) => {
    const result = parse(t);
    return result.ok ? [JSON.parse(JSON.stringify(result.event)) as HaproxyEvent] : [];
  });
}

/** haproxy_events' column types as migration 001 renders them (codecs dropped: not part of the type). */
function columnTypes(version: string): Map<string, string> {
  const features = featuresFor(version);
  const ddl = loadMigrations(templateContext(features, { ttl_days: 30, rollup_ttl_days: 400 }))[0].statements[0];
  const body = ddl.slice(ddl.indexOf('(') + 1, ddl.indexOf('\n)'));
  const types = new Map<string, string>();
  for (const line of body.split('\n')) {
    const m = /^\s*(\w+) (.+?)(?: CODEC\(.*\))?,?\s*$/.exec(line);
    if (m) types.set(m[1], m[2]);
  }
  return types;
}

for (const version of ['18.16.1', '26.7.2.1']) {
  test(`ClickHouse ${version}: blocks with epoch-ms timestamps equal blocks with the text timestamps (corpus, generated, mutated)`, () => {
    const all = events();
    assert.ok(all.length > 15_000, `only ${all.length} events parsed`);
    const features = featuresFor(version);
    const columns = eventColumns(features);
    const types = columnTypes(version);
    const encoder = new NativeEncoder(columns.map((name) => ({ name, type: types.get(name) as string })));
    const time = new TimeFormat(features);
    for (let i = 0; i < all.length; i += 1000) {
      const batch = all.slice(i, i + 1000);
      const rows = batch.map((e) => eventValues(e, time, features));
      const textRows = batch.map((e, j) => [time.text(e.timestamp), ...rows[j].slice(1)]);
      assert.deepEqual(rows.map((r) => r[0]), batch.map((e) => Date.parse(e.timestamp)), 'epoch ms as Date.parse reads the ISO time');
      assert.ok(encoder.encode(rows).equals(encoder.encode(textRows)), `events ${i}..${i + batch.length}: same bytes`);
    }
  });
}

test('epoch ms of odd ISO times: offsets, no milliseconds, minutes changing, the same minute again', () => {
  const time = new TimeFormat(featuresFor('26.7.2.1'));
  const inputs = [
    '2026-11-21T05:42:09.123Z', '2026-11-21T05:42:59.999Z', '2026-11-21T05:43:00.000Z', '2026-11-21T05:42:01.001Z',
    '2026-11-21T07:42:09.123+02:00', '2026-11-21T05:42:09Z', '2026-11-21T05:42:1x.123Z', '2026-11-21T05:42:09,123Z',
    '1969-12-31T23:59:59.999Z', '2026-11-21T05:42:09.12Z',
  ];
  for (const iso of inputs) {
    const expected = Date.parse(iso);
    if (Number.isNaN(expected)) assert.throws(() => time.epochMs(iso), /not an ISO-8601 time/, iso);
    else assert.equal(time.epochMs(iso), expected, iso);
  }
});
