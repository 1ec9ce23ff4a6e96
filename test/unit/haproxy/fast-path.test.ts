import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastRequestLine } from '../../../src/haproxy/fast-path.js';
import { builtinFormat } from '../../../src/haproxy/formats.js';
import { Clock } from '../../../src/haproxy/clock.js';
import { acceptDateReader, zonedDate } from '../../../src/haproxy/dates.js';
import type { BodyContext } from '../../../src/haproxy/log-format.js';
import { newEvent } from '../../../src/haproxy/new-event.js';
import { newPrefix, readPrefix } from '../../../src/haproxy/syslog-prefix.js';
import type { HaproxyEvent } from '../../../src/haproxy/event.js';
import { httplogBody, mutate, requestLine, rng, tcplogBody } from './generate.js';
import { CORPUS_LOGS, corpusLines, requireCorpus } from '../conformance/corpus.js';

/**
 * The hand-tuned httplog/tcplog reader must produce exactly the events of the compiled manual
 * strings. Both run on the same message; accepted lines must agree on every field.
 */

function context(): BodyContext {
  return { date: { ms: Number.NaN, millis: -1 }, acceptDate: acceptDateReader(new Clock('UTC')), zonedDate };
}

interface Outcome {
  ok: boolean;
  ev: HaproxyEvent;
  ms: number;
}

function viaFast(line: string, pos: number): Outcome {
  const ctx = context();
  const ev = newEvent();
  const ok = fastRequestLine(line, pos, ev, ctx) === null;
  return { ok, ev, ms: ctx.date.ms };
}

function viaCompiled(line: string, pos: number): Outcome {
  for (const name of ['httplog', 'tcplog'] as const) {
    const ctx = context();
    const ev = newEvent();
    if (builtinFormat(name).parse(line, pos, ev, ctx) === null) return { ok: true, ev, ms: ctx.date.ms };
  }
  return { ok: false, ev: newEvent(), ms: Number.NaN };
}

function compare(line: string): boolean {
  const prefix = newPrefix();
  readPrefix(line, prefix);
  const fast = viaFast(line, prefix.body);
  const compiled = viaCompiled(line, prefix.body);
  assert.equal(fast.ok, compiled.ok, `fast path ${fast.ok ? 'accepts' : 'rejects'}, compiled ${compiled.ok ? 'accepts' : 'rejects'}: ${JSON.stringify(line)}`);
  if (fast.ok) {
    assert.deepEqual(fast.ev, compiled.ev, `events differ for ${JSON.stringify(line)}`);
    assert.equal(fast.ms, compiled.ms);
  }
  return fast.ok;
}

test('fast path = compiled httplog/tcplog on generated lines', () => {
  const r = rng(42);
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) if (compare(requestLine(r))) accepted++;
  assert.ok(accepted > 15_000, `only ${accepted} generated lines accepted`);
});

test('fast path = compiled on mutated lines (same accept/reject decision, same events)', () => {
  const r = rng(7);
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const base = r() < 0.7 ? httplogBody(r) : tcplogBody(r);
    if (compare(mutate(r, base))) accepted++;
  }
  assert.ok(accepted > 1000, 'mutations should leave some lines valid');
});

test('fast path = compiled on every corpus line', () => {
  requireCorpus();
  let accepted = 0;
  for (const f of CORPUS_LOGS) for (const line of corpusLines(f)) if (compare(line.text)) accepted++;
  assert.ok(accepted >= 40, `only ${accepted} corpus lines are httplog/tcplog`);
});
