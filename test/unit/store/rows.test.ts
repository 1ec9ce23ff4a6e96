import { test } from 'node:test';
import assert from 'node:assert/strict';
import { featuresFor } from '../../../src/store/features.js';
import { loadMigrations, templateContext } from '../../../src/store/migrations.js';
import { eventColumns, eventValues, TimeFormat } from '../../../src/store/rows.js';
import { event } from './fixture.js';

for (const version of ['18.16.1', '26.7.2.1']) {
  test(`ClickHouse ${version}: event values line up with haproxy_events' columns`, () => {
    const features = featuresFor(version);
    const ddl = loadMigrations(templateContext(features, { ttl_days: 30, rollup_ttl_days: 400 }))[0].statements[0];
    const body = ddl.slice(ddl.indexOf('(') + 1, ddl.indexOf('\n)'));
    const tableColumns = body.split('\n').map((l) => l.trim().split(' ')[0]).filter((c) => /^\w+$/.test(c));
    assert.deepEqual([...eventColumns(features)].sort(), [...tableColumns].sort());
    const e = event({ minute: 1, timers: { TR: 1, Tw: 2, Tc: 3, Tr: 4, Ta: 5, Th: 9 }, extra: { hdr: 'x' } });
    const values = eventValues(e, new TimeFormat(features), features);
    const row = Object.fromEntries(eventColumns(features).map((c, i) => [c, values[i]]));
    assert.equal(values.length, tableColumns.length);
    assert.equal(row.event_id, e.event_id);
    assert.equal(row.timer_Ta, 5);
    assert.equal(row.timers_extra, '{"Th":9}');
    assert.equal(row.extra, '{"hdr":"x"}');
    assert.equal(row.raw_offset, e.raw_offset);
    assert.equal(row.timestamp, Date.parse(e.timestamp), 'epoch ms (DateTime keeps whole seconds of it)');
    if (!features.dateTime64) assert.equal(row.timestamp_ms, Number(e.timestamp.slice(20, 23)));
  });
}

test('a timestamp that is not ISO-8601 is refused when the row is built, not when the batch is written', () => {
  const features = featuresFor('26.7.2.1');
  assert.throws(() => eventValues(event({ minute: 1, timestamp: 'yesterday' }), new TimeFormat(features), features), /not an ISO-8601 time/);
});
