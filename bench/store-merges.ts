/**
 * Waiting for ClickHouse's background merges of the benchmark's database to finish: the engine
 * keeps merging inserted parts after the last insert, and in chdb that CPU is the process's own.
 */
import { setTimeout } from 'node:timers/promises';
import type { Driver } from '../src/store/driver.js';

/**
 * Waits until no merge has run and the active part count has not changed for two seconds
 * (the scheduler may take a moment to start the next merge), at most `maxMs`; returns the seconds waited.
 */
export async function settleMerges(driver: Driver, maxMs = 60_000): Promise<number> {
  const started = performance.now();
  let quietSince = performance.now();
  let lastParts = -1;
  while (performance.now() - started < maxMs) {
    const [{ merges, parts }] = await driver.select<{ merges: number; parts: number }>(
      'SELECT (SELECT count() FROM system.merges WHERE database = currentDatabase()) AS merges, (SELECT count() FROM system.parts WHERE database = currentDatabase() AND active) AS parts',
    );
    if (Number(merges) > 0 || Number(parts) !== lastParts) quietSince = performance.now();
    else if (performance.now() - quietSince >= 2000) break;
    lastParts = Number(parts);
    await setTimeout(100);
  }
  return (performance.now() - started) / 1000;
}
