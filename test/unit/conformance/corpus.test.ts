import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { createParser } from '../../../src/haproxy/parser.js';
import type { HaproxyEvent, ParseResult } from '../../../src/haproxy/event.js';
import { CORPUS_LOGS, corpusLines, readJson, readText, requireCorpus, type CorpusLine } from './corpus.js';

/**
 * Conformance against ../shared/corpus: every line of every corpus log parses, or is one of the
 * defended rejects below; every line with expected output (Filebeat's -expected.json, Datadog's
 * test.yaml, the manual's field tables) matches field by field.
 */

/** Lines we reject on purpose, with the reason we defend. Key: `file:line`. */
const DEFENDED_REJECTS: Record<string, string> = {
  'filebeat/log/httplog-no-headers.log:4':
    'the file ends with "\\n\\n": an empty line carries no event (SOURCE.md: "ends with an empty line, kept as is")',
};

/**
 * Expected values that contradict their own log line, documented in the corpus SOURCE.md files;
 * key `file:line:field`.
 */
const UPSTREAM_INCONSISTENCIES: Record<string, string> = {
  'filebeat/log/default.log:1:client_ip':
    'SOURCE.md: the copied default.log-expected.json still says 1.2.3.4 while default.log says 1.128.3.4',
  'filebeat/log/default.log:1:frontend_ip':
    'SOURCE.md: the copied default.log-expected.json still says 1.2.3.4 while default.log says 1.128.3.4',
  'haproxy-doc/examples.log:4:captured_request_headers':
    'examples-annotations.json _about: the manual\'s table shows {haproxy.1wt.eu}, its example line {1wt.eu}',
  'haproxy-doc/examples.log:5:captured_request_headers':
    'examples-annotations.json _about: the manual\'s table shows {haproxy.1wt.eu}, its example line {1wt.eu}',
};

requireCorpus();

const parsed = new Map<string, ParseResult>();
const parser = createParser();
for (const file of CORPUS_LOGS) {
  for (const line of corpusLines(file)) parsed.set(`${file}:${line.no}`, parser(line.text));
}

const tally = { lines: 0, parsed: 0, rejected: 0, checkedLines: 0, checkedFields: 0 };
const mismatches: string[] = [];

function eventOf(file: string, no: number): HaproxyEvent {
  const r = parsed.get(`${file}:${no}`);
  assert.ok(r, `no such corpus line ${file}:${no}`);
  assert.ok(r.ok, `${file}:${no} rejected: ${r.ok ? '' : r.reject.reason}`);
  return r.event;
}

/** Records one field comparison; known upstream inconsistencies are excused, not hidden. */
function check(file: string, no: number, field: string, expected: unknown, actual: unknown): void {
  tally.checkedFields++;
  if (JSON.stringify(expected) === JSON.stringify(actual)) return;
  if (UPSTREAM_INCONSISTENCIES[`${file}:${no}:${field}`] !== undefined) return;
  mismatches.push(`${file}:${no} ${field}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

test('every corpus line parses or is a defended reject', () => {
  const unexpected: string[] = [];
  for (const [key, r] of parsed) {
    tally.lines++;
    if (r.ok) {
      tally.parsed++;
      continue;
    }
    tally.rejected++;
    if (DEFENDED_REJECTS[key] === undefined) unexpected.push(`${key}: ${r.reject.reason}`);
  }
  assert.deepEqual(unexpected, [], 'rejects without a defended reason');
  for (const key of Object.keys(DEFENDED_REJECTS)) {
    const r = parsed.get(key);
    assert.ok(r && !r.ok, `${key} is listed as a defended reject but parses`);
  }
});

type Json = Record<string, unknown>;

/** Filebeat keeps non-empty captures only; we keep every capture slot in order. */
function nonEmpty(list: string[] | null): string[] | undefined {
  return list === null ? undefined : list.filter((v) => v !== '');
}

function filebeatChecks(file: string, line: CorpusLine, ev: HaproxyEvent, e: Json): void {
  const c = (field: string, expected: unknown, actual: unknown): void => {
    if (expected !== undefined) check(file, line.no, field, expected, actual);
  };
  const t = (ev.timers ?? {}) as Record<string, number>;
  c('client_ip', e['source.address'] ?? e['haproxy.client_ip'], ev.client_ip);
  c('client_port', e['source.port'] ?? e['haproxy.client_port'], ev.client_port);
  c('frontend', e['haproxy.frontend_name'], ev.frontend);
  c('backend', e['haproxy.backend_name'], ev.backend);
  c('server', e['haproxy.server_name'], ev.server);
  c('status', e['http.response.status_code'] ?? e['haproxy.http.response.status_code'], ev.status);
  c('bytes_read', e['haproxy.bytes_read'] ?? e['haproxy.http.response.bytes_read'], ev.bytes_read);
  c('termination_state', e['haproxy.termination_state'], ev.termination_state);
  c('actconn', e['haproxy.connections.active'], ev.actconn);
  c('feconn', e['haproxy.connections.frontend'], ev.feconn);
  c('beconn', e['haproxy.connections.backend'], ev.beconn);
  c('srv_conn', e['haproxy.connections.server'], ev.srv_conn);
  c('retries', e['haproxy.connections.retries'], ev.retries);
  c('srv_queue', e['haproxy.server_queue'], ev.srv_queue);
  c('backend_queue', e['haproxy.backend_queue'], ev.backend_queue);
  c('captured_request_cookie', e['haproxy.http.request.captured_cookie'], ev.captured_request_cookie);
  c('captured_response_cookie', e['haproxy.http.response.captured_cookie'], ev.captured_response_cookie);
  c('captured_request_headers', e['haproxy.http.request.captured_headers'], nonEmpty(ev.captured_request_headers));
  c('captured_response_headers', e['haproxy.http.response.captured_headers'], nonEmpty(ev.captured_response_headers));
  c('request', e['haproxy.http.request.raw_request_line'], ev.request);
  c('method', e['http.request.method'], ev.method);
  c('http_version', e['http.version'], ev.http_version?.replace(/^HTTP\//, ''));
  c('pid', e['process.pid'] ?? e['haproxy.pid'], ev.pid);
  c('program', e['process.name'] ?? e['haproxy.process_name'], ev.program);
  c('timestamp', e['@timestamp'], ev.timestamp);
  c('request_host', e['destination.address'], ev.extra?.request_host);
  if (ev.kind === 'http') {
    c('TR', e['haproxy.http.request.time_wait_ms'] ?? e['haproxy.time_client_req'], t.TR);
    c('Tw', e['haproxy.total_waiting_time_ms'] ?? e['haproxy.time_queue'], t.Tw);
    c('Tc', e['haproxy.connection_wait_time_ms'] ?? e['haproxy.time_backend_connect'], t.Tc);
    c('Tr', e['haproxy.http.request.time_wait_without_data_ms'] ?? e['haproxy.time_server_response'], t.Tr);
    const ta = e['event.duration'] !== undefined ? (e['event.duration'] as number) / 1e6 : e['haproxy.time_duration'];
    c('Ta', ta, t.Ta);
  } else if (ev.kind === 'tcp') {
    c('Tw', e['haproxy.total_waiting_time_ms'], t.Tw);
    c('Tc', e['haproxy.connection_wait_time_ms'], t.Tc);
    c('Tt', e['event.duration'] !== undefined ? (e['event.duration'] as number) / 1e6 : undefined, t.Tt);
  } else if (ev.kind === 'connect') {
    c('frontend_ip', e['destination.ip'], ev.extra?.frontend_ip);
    c('frontend_port', e['destination.port'], Number(ev.extra?.frontend_port));
    c('mode', e['haproxy.mode'], ev.extra?.mode);
  }
}

test('Filebeat expected fields match', () => {
  for (const file of CORPUS_LOGS.filter((f) => f.startsWith('filebeat/'))) {
    const expected = readJson<Json[]>(`${file}-expected.json`);
    const lines = corpusLines(file);
    expected.forEach((e, i) => {
      // Entries name their line by byte offset; the old `http` fileset lists them in line order.
      const line = e['log.offset'] === undefined ? lines[i] : lines.find((l) => l.offset === e['log.offset']);
      assert.ok(line, `${file}: no line at byte offset ${String(e['log.offset'])}`);
      tally.checkedLines++;
      filebeatChecks(file, line, eventOf(file, line.no), e);
    });
  }
});

test('Datadog test.yaml expected attributes match', () => {
  const doc = parseYaml(readText('other/datadog-integrations-core/test.yaml')) as { tests: Array<{ sample: string; result: { custom: Json } }> };
  const file = 'other/datadog-integrations-core/samples.log';
  const lines = corpusLines(file);
  for (const { sample, result } of doc.tests) {
    const line = lines.find((l) => l.text === sample);
    assert.ok(line, `sample not in samples.log: ${sample.slice(0, 60)}`);
    tally.checkedLines++;
    const ev = eventOf(file, line.no);
    const x = result.custom as { haproxy?: Json; http?: Json; network?: { client?: Json; destination?: Json; bytes_written?: number }; load_balancer?: Json; syslog?: Json; duration?: number; date_access?: number };
    const c = (field: string, expected: unknown, actual: unknown): void => {
      if (expected !== undefined) check(file, line.no, field, expected, actual);
    };
    const h = x.haproxy ?? {};
    const t = (ev.timers ?? {}) as Record<string, number>;
    c('actconn', h.actconn, ev.actconn);
    c('feconn', h.feconn, ev.feconn);
    c('beconn', h.beconn, ev.beconn);
    c('srv_conn', h.srvconn, ev.srv_conn);
    c('retries', h.retries, ev.retries);
    c('srv_queue', h.srv_queue, ev.srv_queue);
    c('backend_queue', h.backend_queue, ev.backend_queue);
    c('frontend', h.frontend_name, ev.frontend);
    c('backend', h.backend_name, ev.backend);
    c('termination_state', h.termination_state, ev.termination_state);
    c('captured_request_cookie', h.captured_request_cookie, ev.captured_request_cookie);
    c('captured_response_cookie', h.captured_response_cookie, ev.captured_response_cookie);
    c('captured_request_headers', h.captured_request_headers, ev.captured_request_headers?.join('|'));
    c('pid', h.pid, ev.pid);
    c('TR', h.time_request, t.TR);
    c('Tw', h.time_queue, t.Tw);
    c('Tr', h.time_backend_response, t.Tr);
    c('Tc', x.load_balancer?.time_backend_connect, t.Tc);
    c('server', x.load_balancer?.service_name, ev.server);
    c('status', x.http?.status_code, ev.status);
    c('method', x.http?.method, ev.method);
    c('uri', x.http?.url, ev.uri);
    c('http_version', x.http?.version, ev.http_version?.replace(/^HTTP\//, ''));
    c('bytes_read', x.network?.bytes_written, ev.bytes_read);
    c('client_ip', x.network?.client?.ip, ev.client_ip);
    c('client_port', x.network?.client?.port, ev.client_port);
    c('frontend_ip', x.network?.destination?.ip, ev.extra?.frontend_ip);
    c('frontend_port', x.network?.destination?.port, ev.extra?.frontend_port === undefined ? undefined : Number(ev.extra.frontend_port));
    c('mode', h.mode, ev.extra?.mode);
    c('host', x.syslog?.host, ev.host ?? (x.syslog?.host === '-' ? '-' : null));
    c('duration_ms', x.duration === undefined ? undefined : x.duration / 1e6, ev.kind === 'tcp' ? t.Tt : t.Ta);
    c('timestamp', x.date_access === undefined ? undefined : new Date(x.date_access).toISOString(), ev.timestamp);
  }
});

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `[06/Feb/2009:12:14:14.655]` → ISO, the way the manual's tables show dates. */
function docDate(text: string): string {
  const m = /^\[(\d\d)\/(\w{3})\/(\d{4}):(\d\d):(\d\d):(\d\d)(?:\.(\d{3}))?\]$/.exec(text);
  assert.ok(m, `bad date ${text}`);
  const iso = `${m[3]}-${String(MONTHS.indexOf(m[2]) + 1).padStart(2, '0')}-${m[1]}T${m[4]}:${m[5]}:${m[6]}.${m[7] ?? '000'}Z`;
  return iso;
}

/** The manual's "Field / Format / Extract" rows, rendered back from our event. */
function renderDocField(format: string, ev: HaproxyEvent): { field: string; actual: string; map?: (s: string) => string } | null {
  const t = (ev.timers ?? {}) as Record<string, number>;
  const plus = (name: string, v: unknown): string => (ev.logasap.includes(name) ? `+${String(v)}` : String(v));
  const x = ev.extra ?? {};
  switch (format) {
    case "process_name '[' pid ']:'": return { field: 'program/pid', actual: `${ev.program}[${ev.pid}]:` };
    case "'Connect from'": case "'to'": return null;
    case "source_ip ':' source_port": case "client_ip ':' client_port": return { field: 'client_ip/client_port', actual: `${ev.client_ip}:${ev.client_port}` };
    case "destination_ip ':' destination_port": return { field: 'frontend_ip/frontend_port', actual: `${x.frontend_ip}:${x.frontend_port}` };
    case "'(' frontend_name '/' mode ')'": return { field: 'frontend/mode', actual: `(${ev.frontend}/${x.mode})` };
    case "'[' accept_date ']'": case "'[' request_date ']'": return { field: 'timestamp', actual: ev.timestamp, map: docDate };
    case 'frontend_name': return { field: 'frontend', actual: String(ev.frontend) };
    case 'frontend_name "/" bind_name ":"': return { field: 'frontend/bind', actual: `${ev.frontend}/${ev.bind}:` };
    case 'message': return { field: 'message', actual: String(ev.message) };
    case "backend_name '/' server_name": return { field: 'backend/server', actual: `${ev.backend}/${ev.server}` };
    case "Tw '/' Tc '/' Tt*": return { field: 'timers', actual: `${t.Tw}/${t.Tc}/${plus('Tt', t.Tt)}` };
    case "TR '/' Tw '/' Tc '/' Tr '/' Ta*": return { field: 'timers', actual: `${t.TR}/${t.Tw}/${t.Tc}/${t.Tr}/${plus('Ta', t.Ta)}` };
    case 'status_code': return { field: 'status', actual: String(ev.status) };
    case 'bytes_read*': return { field: 'bytes_read', actual: plus('bytes_read', ev.bytes_read) };
    case 'captured_request_cookie': return { field: 'captured_request_cookie', actual: String(ev.captured_request_cookie) };
    case 'captured_response_cookie': return { field: 'captured_response_cookie', actual: String(ev.captured_response_cookie) };
    case 'termination_state': return { field: 'termination_state', actual: String(ev.termination_state) };
    case "actconn '/' feconn '/' beconn '/' srv_conn '/' retries*": return { field: 'connection counts', actual: `${ev.actconn}/${ev.feconn}/${ev.beconn}/${ev.srv_conn}/${plus('retries', ev.retries)}` };
    case "srv_queue '/' backend_queue": return { field: 'queues', actual: `${ev.srv_queue}/${ev.backend_queue}` };
    case "'{' captured_request_headers* '}'": return { field: 'captured_request_headers', actual: `{${(ev.captured_request_headers ?? []).join('|')}}` };
    case "'{' captured_response_headers* '}'": return { field: 'captured_response_headers', actual: `{${(ev.captured_response_headers ?? []).join('|')}}` };
    case `'"' http_request '"'`: return { field: 'request', actual: `"${ev.request}"` };
    case "fc_err '/' ssl_fc_err '/' ssl_c_err '/' ssl_c_ca_err '/' ssl_fc_is_resumed":
      return { field: 'tls errors', actual: `${x.fc_err}/${ev.ssl_fc_err}/${ev.ssl_c_err}/${ev.ssl_c_ca_err}/${x.ssl_fc_is_resumed}` };
    case "ssl_fc_sni '/' ssl_version '/' ssl_ciphers": return { field: 'tls', actual: `${ev.ssl_sni}/${ev.ssl_version}/${ev.ssl_ciphers}` };
    default: throw new Error(`no renderer for the manual's field "${format}"`);
  }
}

test("the manual's field tables match (haproxy-doc/examples-annotations.json)", () => {
  const doc = readJson<{ examples: Array<{ line_no: number; line: string; doc_field_table_verbatim?: string[] }> }>('haproxy-doc/examples-annotations.json');
  const file = 'haproxy-doc/examples.log';
  for (const ex of doc.examples) {
    if (ex.doc_field_table_verbatim === undefined) continue;
    tally.checkedLines++;
    const ev = eventOf(file, ex.line_no);
    // Join continuation rows (no leading field number) to their row.
    const rows: string[] = [];
    for (const raw of ex.doc_field_table_verbatim) {
      if (/^\s+\d+\s{2,}/.test(raw)) rows.push(raw.trim());
      else rows[rows.length - 1] += ' ' + raw.trim();
    }
    for (const row of rows) {
      const cols = row.split(/\s{2,}/);
      const format = cols.slice(1, -1).join(' ').replace(/\s+/g, ' ');
      const extract = cols[cols.length - 1];
      const r = renderDocField(format || extract, ev);
      if (r === null || format === '') continue;
      check(file, ex.line_no, r.field === '{' ? format : r.field, r.map ? r.map(extract) : extract, r.actual);
    }
  }
});

test("the manual's section 8.9 explanations hold", () => {
  const f = 'haproxy-doc/examples.log';
  const e = (no: number): HaproxyEvent => eventOf(f, no);
  tally.checkedLines += 8;
  // 10: long request typed by hand, normal end.
  check(f, 10, 'TR', 6559, (e(10).timers as Record<string, number>).TR);
  check(f, 10, 'termination_cause', 'none', e(10).termination_cause);
  // 11: queued in the global queue behind 9 requests for 1230 ms.
  check(f, 11, 'Tw', 1230, (e(11).timers as Record<string, number>).Tw);
  check(f, 11, 'backend_queue', 9, e(11).backend_queue);
  // 12: logasap: total time and bytes are "at least" values.
  check(f, 12, 'logasap', ['Ta', 'bytes_read'], e(12).logasap);
  // 13: HAProxy, not the server, returned the 502.
  check(f, 13, 'status', 502, e(13).status);
  check(f, 13, 'server_error', false, e(13).server_error);
  check(f, 13, 'termination_cause', 'proxy', e(13).termination_cause);
  check(f, 13, 'termination_phase', 'headers', e(13).termination_phase);
  // 14/15: client aborted / timed out while HAProxy waited for the request; nothing sent to a server.
  check(f, 14, 'termination_cause/phase', ['client', 'request'], [e(14).termination_cause, e(14).termination_phase]);
  check(f, 14, 'status', -1, e(14).status);
  check(f, 15, 'termination_cause/phase', ['client', 'request'], [e(15).termination_cause, e(15).termination_phase]);
  check(f, 15, 'status', 408, e(15).status);
  // 16: tcplog, client timeout in the data phase.
  check(f, 16, 'kind/state', ['tcp', 'cD'], [e(16).kind, e(16).termination_state]);
  // 17: the connection to the server failed (SC--) after 3 retries: a connection failure.
  check(f, 17, 'conn_failure', true, e(17).conn_failure);
  check(f, 17, 'retries', 3, e(17).retries);
  check(f, 17, 'srv_conn', 115, e(17).srv_conn);
  check(f, 17, 'server_error', false, e(17).server_error);
});

test('all expected fields match', () => {
  assert.deepEqual(mismatches, []);
  assert.ok(tally.checkedFields > 300, `only ${tally.checkedFields} fields checked`);
});

after(() => {
  const defended = Object.entries(DEFENDED_REJECTS).map(([k, why]) => `  reject ${k}: ${why}`).join('\n');
  console.log(
    `conformance tally: ${tally.lines} lines, ${tally.parsed} parsed, ${tally.rejected} rejected (defended); ` +
      `${tally.checkedLines} lines with expected output, ${tally.checkedFields} fields compared, ${mismatches.length} mismatches\n${defended}`,
  );
});
