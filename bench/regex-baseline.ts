/**
 * The baseline every log shipper uses for HAProxy: one big regular expression with named
 * groups over a syslog-prefixed httplog line (the shape of the grok HAPROXYHTTP pattern used by
 * Logstash/Filebeat/Vector), then the numeric fields converted. Written the usual way, on purpose.
 */

const HAPROXY_HTTP = new RegExp(
  '^(?<syslog_timestamp>\\w{3} +\\d{1,2} \\d{2}:\\d{2}:\\d{2}) (?<host>\\S+) (?<program>[\\w./-]+)(?:\\[(?<pid>\\d+)\\])?: ' +
    '(?<client_ip>[\\da-fA-F.:]+):(?<client_port>\\d+) \\[(?<accept_date>\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?)\\] ' +
    '(?<frontend>\\S+) (?<backend>[^\\s/]+)/(?<server>\\S+) ' +
    '(?<TR>-?\\d+)/(?<Tw>-?\\d+)/(?<Tc>-?\\d+)/(?<Tr>-?\\d+)/(?<Ta>\\+?\\d+) ' +
    '(?<status>-?\\d+) (?<bytes_read>\\+?\\d+) (?<captured_request_cookie>\\S+) (?<captured_response_cookie>\\S+) ' +
    '(?<termination_state>\\S{2,4}) (?<actconn>\\d+)/(?<feconn>\\d+)/(?<beconn>\\d+)/(?<srv_conn>\\d+)/(?<retries>\\+?\\d+) ' +
    '(?<srv_queue>\\d+)/(?<backend_queue>\\d+)(?: \\{(?<request_headers>[^}]*)\\})?(?: \\{(?<response_headers>[^}]*)\\})? ' +
    '"(?:<BADREQ>|(?<method>\\S+) (?<uri>\\S+)(?: (?<http_version>HTTP/\\d\\.\\d))?)"$',
);

const NUMERIC = ['client_port', 'pid', 'TR', 'Tw', 'Tc', 'Tr', 'Ta', 'status', 'bytes_read', 'actconn', 'feconn',
  'beconn', 'srv_conn', 'retries', 'srv_queue', 'backend_queue'] as const;

export type RegexEvent = Record<string, string | number | undefined>;

/** The parsed fields of one line, or null when the pattern does not match. */
export function regexParse(line: string): RegexEvent | null {
  const m = HAPROXY_HTTP.exec(line);
  if (m === null || m.groups === undefined) return null;
  const event: RegexEvent = m.groups;
  for (const k of NUMERIC) {
    const v = event[k];
    if (v !== undefined) event[k] = Number(v);
  }
  return event;
}
