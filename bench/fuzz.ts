/**
 * `npm run fuzz [CASES] [SEED]`: the parser's safety property (test/unit/haproxy/property.ts)
 * over many generated, mutated and junk lines; default 1,000,000 cases. Exits 1 on the first
 * violation, printing the offending input.
 */
import { runProperty } from '../test/unit/haproxy/property.js';

const cases = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
const started = performance.now();
const chunk = 100_000;
const total = { cases: 0, valid: 0, mutated: 0, junk: 0, accepted: 0, rejected: 0 };
try {
  for (let done = 0; done < cases; done += chunk) {
    const stats = runProperty(Math.min(chunk, cases - done), seed + done);
    for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += stats[k];
  }
} catch (err) {
  console.error(`fuzz: property violated (seed ${seed}): ${(err as Error).message}`);
  process.exit(1);
}
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ ...total, seed, seconds: Number(seconds.toFixed(1)), cases_per_second: Math.round(total.cases / seconds) }));
