import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDetectorOverEvents } from '../../../src/detect/replay.js';
import { detectorConfig } from '../../../src/config/detector.js';
import { rng, T0, traffic } from './traffic.js';

test('runDetectorOverEvents replays in event time and lists one incident per alert', async () => {
  const random = rng(11);
  async function* events() {
    yield* traffic({ fromMs: T0, seconds: 300, rate: () => 40, failRatio: () => 0.001, random });
    yield* traffic({ fromMs: T0 + 300_000, seconds: 30, rate: () => 40, failRatio: () => 1, random, over: { server: 's1' } });
    yield* traffic({ fromMs: T0 + 330_000, seconds: 120, rate: () => 40, failRatio: () => 0.001, random });
  }
  const seen: string[] = [];
  const r = await runDetectorOverEvents(events(), detectorConfig({ resolve_after_s: 15 }), (a) => {
    seen.push(a.state);
  });
  assert.deepEqual(seen, ['firing', 'resolved']);
  assert.equal(r.incidents.length, 1);
  const [i] = r.incidents;
  assert.equal(i.server, 's1');
  assert.ok(Date.parse(i.fired_at) - (T0 + 300_000) <= 3000);
  assert.ok(i.resolved_at && Date.parse(i.resolved_at) > Date.parse(i.fired_at));
  assert.ok(r.stats.events > 15_000);
});
