import assert from 'node:assert/strict';
import { createParser } from '../../../src/haproxy/parser.js';
import type { ParseResult } from '../../../src/haproxy/event.js';
import { junk, mutate, pick, PREFIXES, requestLine, rng } from './generate.js';

/**
 * The parser's safety property, shared by test/unit/haproxy/property.test.ts and bench/fuzz.ts:
 * on any input it returns (never throws, never an internal error), events are well formed,
 * generated valid lines parse, and lines with NUL or invalid UTF-8 are rejected.
 */

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const KINDS = new Set(['http', 'tcp', 'error', 'health', 'connect', 'proxy', 'custom']);

export interface PropertyStats {
  cases: number;
  valid: number;
  mutated: number;
  junk: number;
  accepted: number;
  rejected: number;
}

function checkResult(input: string, r: ParseResult): void {
  if (r.ok) {
    const ev = r.event;
    if (!ISO.test(ev.timestamp) || !KINDS.has(ev.kind) || typeof ev.conn_failure !== 'boolean') {
      assert.fail(`malformed event for ${JSON.stringify(input)}: ${JSON.stringify(ev)}`);
    }
    if (ev.timers !== null) {
      for (const v of Object.values(ev.timers)) if (!Number.isInteger(v)) assert.fail(`non-integer timer in ${JSON.stringify(input)}`);
    }
  } else {
    if (typeof r.reject.reason !== 'string' || r.reject.reason.length === 0) assert.fail(`empty reject reason for ${JSON.stringify(input)}`);
    if (r.reject.reason.startsWith('internal parser error')) assert.fail(`${r.reject.reason} on ${JSON.stringify(input)}`);
  }
}

export function runProperty(cases: number, seed: number): PropertyStats {
  const r = rng(seed);
  const parsers = [createParser(), createParser({ format: 'http' }), createParser({ format: 'tcp' }), createParser({ format: 'clf' }), createParser({ format: 'https' })];
  const auto = parsers[0];
  const stats: PropertyStats = { cases: 0, valid: 0, mutated: 0, junk: 0, accepted: 0, rejected: 0 };
  for (let i = 0; i < cases; i++) {
    const roll = r();
    let input: string;
    let res: ParseResult;
    if (roll < 0.4) {
      input = requestLine(r);
      res = auto(input);
      stats.valid++;
      if (!res.ok) assert.fail(`generated line rejected (${res.reject.reason}): ${JSON.stringify(input)}`);
    } else if (roll < 0.9) {
      input = mutate(r, requestLine(r));
      res = (roll < 0.8 ? auto : pick(r, parsers))(input);
      stats.mutated++;
      if (res.ok && (input.includes('\0') || input.includes('\uFFFD'))) assert.fail(`accepted a line with NUL/U+FFFD: ${JSON.stringify(input)}`);
    } else {
      input = (r() < 0.3 ? pick(r, PREFIXES) : '') + junk(r);
      res = auto(input);
      stats.junk++;
    }
    checkResult(input, res);
    if (res.ok) stats.accepted++;
    else stats.rejected++;
    stats.cases++;
  }
  return stats;
}
