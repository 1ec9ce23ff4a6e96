import type { HaproxyEvent, HealthInfo } from './event.js';
import type { BodyContext } from './log-format.js';
import { ipText, lastColon, portAt } from './fields.js';

/**
 * HAProxy messages that are not log-format output: the legacy default format ("Connect from"),
 * the connection error format ("fe/bind: Connection error during SSL handshake"), and the
 * process's own status lines (server state changes, proxy start/stop). These are rare lines:
 * plain string methods and a few regexes are fine here, unlike on the request-line hot path.
 */

function splitAddress(line: string, s: number, e: number): { ip: string | null; port: number | null } | null {
  const colon = lastColon(line, s, e);
  if (colon < s) return null;
  const port = portAt(line, colon + 1, e);
  if (port !== null && port !== port) return null;
  return { ip: ipText(line, s, colon), port };
}

function setExtra(ev: HaproxyEvent, key: string, value: string): void {
  if (ev.extra === null) ev.extra = {};
  ev.extra[key] = value;
}

/** `Connect from 10.0.1.2:33312 to 10.0.3.31:8012 (www/HTTP)` (no log option set). */
export function parseLegacy(line: string, pos: number, ev: HaproxyEvent): string | null {
  const from = pos + 13; // "Connect from "
  const to = line.indexOf(' to ', from);
  if (to < 0) return 'truncated "Connect from" line';
  const paren = line.indexOf(' (', to + 4);
  if (paren < 0 || line.charCodeAt(line.length - 1) !== 41 /* ) */) return 'truncated "Connect from" line';
  const client = splitAddress(line, from, to);
  const dest = splitAddress(line, to + 4, paren);
  const slash = line.indexOf('/', paren + 2);
  if (client === null || dest === null || slash < 0) return 'malformed "Connect from" line';
  ev.kind = 'connect';
  ev.format = 'legacy';
  ev.client_ip = client.ip;
  ev.client_port = client.port;
  ev.frontend = line.slice(paren + 2, slash);
  if (dest.ip !== null) setExtra(ev, 'frontend_ip', dest.ip);
  if (dest.port !== null) setExtra(ev, 'frontend_port', String(dest.port));
  setExtra(ev, 'mode', line.slice(slash + 1, line.length - 1));
  return null;
}

/**
 * `127.0.0.1:56059 [03/Dec/2012:17:35:10.380] frt/f1: Connection error during SSL handshake`:
 * a connection that failed before a request existed. Returns null when parsed, undefined when
 * the line is not of this shape (the caller tries the request formats), or a reject reason.
 */
export function parseConnectionError(line: string, pos: number, ev: HaproxyEvent, ctx: BodyContext): string | null | undefined {
  const sp = line.indexOf(' ', pos);
  if (sp < 0 || line.charCodeAt(sp + 1) !== 91) return undefined;
  const close = line.indexOf(']', sp + 2);
  if (close < 0 || line.charCodeAt(close + 1) !== 32) return undefined;
  const feStart = close + 2;
  const feEnd = line.indexOf(' ', feStart);
  // "fe/bind:" is the only token in a request-line position that ends with ':'.
  if (feEnd < 0 || line.charCodeAt(feEnd - 1) !== 58 /* : */) return undefined;
  const slash = line.indexOf('/', feStart);
  if (slash < 0 || slash > feEnd) return undefined;
  const client = splitAddress(line, pos, sp);
  if (client === null) return 'bad client address in a connection error line';
  const ms = ctx.acceptDate(line, sp + 2, close);
  if (ms !== ms) return 'bad accept date';
  ctx.date.ms = ms;
  ev.kind = 'error';
  ev.format = 'error';
  ev.client_ip = client.ip;
  ev.client_port = client.port;
  ev.frontend = line.slice(feStart, slash);
  ev.bind = line.slice(slash + 1, feEnd - 1);
  ev.message = line.slice(feEnd + 1);
  return null;
}

/** HAProxy's health-check result names (src/check.c, check_statuses[]), by their logged text. */
const CHECK_CODES: Record<string, string> = {
  'Initializing': 'INI',
  'Socket error': 'SOCKERR',
  'Layer4 check passed': 'L4OK',
  'Layer4 timeout': 'L4TOUT',
  'Layer4 connection problem': 'L4CON',
  'Layer6 check passed': 'L6OK',
  'Layer6 timeout': 'L6TOUT',
  'Layer6 invalid response': 'L6RSP',
  'Layer7 timeout': 'L7TOUT',
  'Layer7 invalid response': 'L7RSP',
  'Layer7 check passed': 'L7OK',
  'Layer7 check conditionally passed': 'L7OKC',
  'Layer7 wrong status': 'L7STS',
  'External check error': 'PROCERR',
  'External check timeout': 'PROCTOUT',
  'External check passed': 'PROCOK',
};

function healthInfo(state: string, text: string): HealthInfo {
  const reasonMatch = /reason: ([^,]+?)(?:,|\.(?: |$)|$)/.exec(text);
  const reason = reasonMatch ? reasonMatch[1] : null;
  const servers = /(\d+) active and (\d+) backup servers?/.exec(text);
  return {
    state,
    reason,
    check: reason === null ? null : CHECK_CODES[reason] ?? null,
    active_servers: servers ? Number(servers[1]) : null,
    backup_servers: servers ? Number(servers[2]) : null,
  };
}

/** The state a `Server be/s …` message moves the server to. */
function serverState(rest: string): string {
  if (/^is going DOWN for maintenance|enters maintenance|is DOWN for maintenance/.test(rest)) return 'MAINT';
  if (/leaving (?:forced )?maintenance/.test(rest)) return 'UP';
  if (/drain/i.test(rest) && !/leaving (?:forced )?drain/.test(rest)) return 'DRAIN';
  if (rest.startsWith('is DOWN')) return 'DOWN';
  if (rest.startsWith('is UP') || rest.startsWith('is back') || /leaving (?:forced )?drain/.test(rest)) return 'UP';
  if (rest.startsWith('is stopping')) return 'STOPPING';
  if (/changed its (?:IP|FQDN|address)/.test(rest)) return 'ADDR';
  return 'CHANGE';
}

/** Splits `be/s` on the first '/' (server names may hold ':' and '/'). */
function backendServer(token: string, ev: HaproxyEvent): boolean {
  const slash = token.indexOf('/');
  if (slash <= 0 || slash === token.length - 1) return false;
  ev.backend = token.slice(0, slash);
  ev.server = token.slice(slash + 1);
  return true;
}

const PROXY_LINE = /^(?:Proxy|Stopping|Pausing|Resuming|Stopped|Paused|Resumed)\b/;

/**
 * Server and proxy status lines. Returns null when parsed, undefined when the body is not a
 * status line.
 */
export function parseStatus(line: string, pos: number, ev: HaproxyEvent): string | null | undefined {
  const text = line.slice(pos);
  let m: RegExpExecArray | null;
  if ((m = /^(?:Backup )?Server (\S+?)(?: \('[^']*'\))? (.+)$/.exec(text)) !== null) {
    if (!backendServer(m[1], ev)) return 'malformed "Server be/srv" status line';
    fill(ev, 'health', text, healthInfo(serverState(m[2]), m[2]));
    return null;
  }
  if ((m = /^(?:Health|Agent) check for (?:backup )?server (\S+) (failed|succeeded|conditionally succeeded)(.*)$/.exec(text)) !== null) {
    if (!backendServer(m[1], ev)) return 'malformed health check line';
    const status = /status: \d+\/\d+ (\w+)/.exec(m[3]);
    fill(ev, 'health', text, healthInfo(status ? status[1] : m[2] === 'failed' ? 'CHECK_FAILED' : 'CHECK_OK', m[3]));
    return null;
  }
  if ((m = /^backend (\S+) has no server available!$/.exec(text)) !== null) {
    ev.backend = m[1];
    fill(ev, 'health', text, healthInfo('NOSRV', ''));
    return null;
  }
  if (PROXY_LINE.test(text)) {
    const p = /^(?:Proxy|Stopping (?:proxy|frontend|backend)|Pausing (?:proxy|frontend|backend)|Resuming (?:proxy|frontend|backend)) (\S+?)[ .]/.exec(text);
    if (p === null) return undefined;
    ev.frontend = p[1];
    const state = /^Proxy \S+ started/.test(text) ? 'STARTED'
      : /^Proxy \S+ stopped/.test(text) ? 'STOPPED'
      : text.startsWith('Stopping') ? 'STOPPING'
      : text.startsWith('Pausing') ? 'PAUSED'
      : text.startsWith('Resuming') ? 'RESUMED' : 'CHANGE';
    const conns = /FE: (\d+) conns, BE: (\d+) conns/.exec(text);
    if (conns) {
      setExtra(ev, 'frontend_cumulated_conns', conns[1]);
      setExtra(ev, 'backend_cumulated_conns', conns[2]);
    }
    fill(ev, 'proxy', text, healthInfo(state, ''));
    return null;
  }
  return undefined;
}

function fill(ev: HaproxyEvent, kind: 'health' | 'proxy', text: string, health: HealthInfo): void {
  ev.kind = kind;
  ev.format = 'status';
  ev.message = text;
  ev.health = health;
}
