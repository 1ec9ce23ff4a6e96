import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventJson } from '../../../src/haproxy/event-json.js';
import { createParser } from '../../../src/haproxy/parser.js';
import { newEvent } from '../../../src/haproxy/new-event.js';
import type { HaproxyEvent } from '../../../src/haproxy/event.js';
import { generateHttpLogLines } from '../../../bench/gen-lines.js';
import { corpusLines, requireCorpus } from '../conformance/corpus.js';
import { httplogBody, junk, mutate, pick, requestLine, rng, tcplogBody } from './generate.js';

/** JSON has no -0 (a mutated timer "-0" parses to it): the value the event stands for in JSON. */
function withoutNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNegativeZero(v)]));
  return value;
}

/** The serializer's contract: the very text JSON.stringify gives, which parses back to the event. */
function check(e: HaproxyEvent, roundTrips = true): void {
  const text = eventJson(e);
  const reference = JSON.stringify(e);
  if (text !== reference) assert.fail(`eventJson differs from JSON.stringify:\n${text}\n${reference}`);
  if (roundTrips) assert.deepStrictEqual(JSON.parse(text), withoutNegativeZero(e));
}

const parsers = [createParser(), createParser({ format: 'http' }), createParser({ format: 'tcp' }), createParser({ format: 'clf' }), createParser({ format: 'https' })];

function parsedEvents(lines: Iterable<string>): HaproxyEvent[] {
  const out: HaproxyEvent[] = [];
  for (const line of lines) {
    for (const parse of parsers) {
      const r = parse(line);
      if (r.ok) out.push(r.event);
    }
  }
  return out;
}

const CORPUS_FILES = [
  'filebeat/log/default.log', 'filebeat/log/haproxy.log', 'filebeat/log/httplog-no-headers.log', 'filebeat/log/tcplog.log',
  'filebeat/http/haproxy.log', 'haproxy-doc/examples.log', 'other/datadog-integrations-core/samples.log',
  'other/lnav/haproxy_log-format-samples.log', 'other/lnav/logfile_haproxy.0',
];

test('every corpus event serializes as JSON.stringify does and parses back equal', () => {
  requireCorpus();
  const events = parsedEvents(CORPUS_FILES.flatMap((f) => corpusLines(f).map((l) => l.text)));
  assert.ok(events.length >= 100, `only ${events.length} corpus events`);
  const kinds = new Set(events.map((e) => e.kind));
  for (const kind of ['http', 'tcp', 'error']) assert.ok(kinds.has(kind as HaproxyEvent['kind']), `no ${kind} event in the corpus`);
  for (const e of events) check(e);
});

test('100 k generated and mutated lines: the accepted events serialize exactly', () => {
  const r = rng(11);
  const lines: string[] = [...generateHttpLogLines(10_000, { seed: 5, failureRate: 0.3 })];
  while (lines.length < 100_000) {
    const roll = r();
    if (roll < 0.4) lines.push(requestLine(r));
    else if (roll < 0.95) lines.push(mutate(r, r() < 0.7 ? httplogBody(r) : tcplogBody(r)));
    else lines.push(junk(r));
  }
  const parse = parsers[0];
  let accepted = 0;
  lines.forEach((line, i) => {
    const res = parse(line);
    if (!res.ok) return;
    accepted++;
    const e = res.event;
    // As the shipper sets them.
    e.source = '/var/log/haproxy.log';
    e.raw_offset = i * 301;
    e.event_id = i.toString(16).padStart(32, '0');
    check(e);
  });
  assert.ok(accepted > 50_000, `only ${accepted} of 100 k lines parsed`);
});

const HOSTILE = ['', '"', '\\', '\\"', '\u0000', '\u0001\u001f', '\b\f\n\r\t', '\u007f', 'é', '\u2028\u2029', '\u{1F600}', '\ud800', 'a\udfffb', '\ud83d', '</script>', '#22#7B'];

test('hostile strings, records, health and odd numbers serialize exactly', () => {
  const r = rng(3);
  const s = () => pick(r, HOSTILE) + (r() < 0.5 ? pick(r, HOSTILE) : '') + (r() < 0.3 ? 'x' : '');
  const n = () => pick(r, [0, -1, 1.5, 2 ** 53, 1e21, 1e-7]);
  for (let i = 0; i < 5000; i++) {
    const e = newEvent();
    e.timestamp = s();
    e.host = r() < 0.5 ? s() : null;
    e.kind = 'health';
    e.format = s();
    e.client_ip = s();
    e.client_port = n();
    e.backend = s();
    e.server = s();
    e.status = n();
    e.uri = s();
    e.request = s();
    e.timers = { TR: n(), Tw: n(), Tc: n(), Tr: n(), Ta: n(), Tq: n() };
    e.captured_request_headers = r() < 0.5 ? [s(), s()] : [];
    e.captured_response_headers = [s()];
    e.logasap = r() < 0.5 ? [s()] : [];
    e.conn_failure = r() < 0.5;
    e.health = { state: s(), reason: r() < 0.5 ? s() : null, check: s(), active_servers: n(), backup_servers: null };
    e.message = s();
    e.extra = r() < 0.5 ? { [s()]: s(), ['%[' + s() + ']']: s() } : {};
    e.source = s();
    e.raw_offset = n();
    e.event_id = s();
    check(e);
  }
});

test('non-finite numbers become null, -0 becomes 0; undefined optional fields are left out', () => {
  const e = newEvent();
  e.status = Number.NaN;
  e.pid = -0;
  e.timers = { TR: Infinity, Tw: 0, Tc: 0, Tr: 0, Ta: 0 };
  check(e, false);
  const parsed = JSON.parse(eventJson(e)) as HaproxyEvent;
  assert.equal(parsed.status, null);
  assert.ok(Object.is(parsed.pid, 0));
  assert.equal(parsed.timers?.TR, null);
  assert.ok(!('event_id' in parsed) && !('source' in parsed) && !('raw_offset' in parsed));
});
