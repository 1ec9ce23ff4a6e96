import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Clock, daysFromCivil } from '../../../src/haproxy/clock.js';

test('days from civil dates agree with Date.UTC', () => {
  for (let y = 1901; y < 2100; y += 7) {
    for (let m = 1; m <= 12; m++) assert.equal(daysFromCivil(y, m, 28) * 86_400_000, Date.UTC(y, m - 1, 28), `${y}-${m}`);
  }
});

test('wall clock → UTC agrees with Intl for every hour of a year with DST', () => {
  const zone = 'America/New_York';
  const clock = new Clock(zone);
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
  for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2025, 0, 1); t += 3_600_000 + 17 * 60_000) {
    const parts = Object.fromEntries(fmt.formatToParts(new Date(t)).map((p) => [p.type, Number(p.value)]));
    const back = clock.toUtc(parts.year, parts.month, parts.day, parts.hour, parts.minute, 0, 0);
    // In the repeated fall-back hour a wall time has two instants; both are correct readings.
    const ambiguous = Math.abs(back - t) === 3_600_000 && parts.month === 11 && parts.hour === 1;
    assert.ok(back === t || ambiguous, `${new Date(t).toISOString()} → ${new Date(back).toISOString()}`);
  }
});

test('offsets are computed once per wall-clock hour, not per line', () => {
  const clock = new Clock('Europe/Paris');
  const offsets = (clock as unknown as { offsets: Map<number, number> }).offsets;
  for (let s = 0; s < 3600; s++) clock.toUtc(2024, 6, 1, 10, Math.floor(s / 60), s % 60, 0);
  assert.equal(offsets.size, 1);
  assert.equal(clock.toUtc(2024, 6, 1, 10, 0, 0, 0), Date.UTC(2024, 5, 1, 8, 0, 0));
});

test('ISO strings equal Date#toISOString', () => {
  const clock = new Clock();
  for (let t = -2e11; t < 4.1e12; t += 9_876_543_211) assert.equal(clock.iso(t), new Date(t).toISOString());
  for (let t = 1.7e12; t < 1.7e12 + 5000; t += 7) assert.equal(clock.iso(t), new Date(t).toISOString());
  assert.equal(clock.iso(Number.NaN), '');
});
