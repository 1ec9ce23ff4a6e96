import type { HaproxyEvent, TerminationCause, TerminationPhase } from './event.js';

/**
 * Classification of a finished request or session after the manual's section 8.5
 * ("Session state at disconnection"): the first character of the termination state says who
 * or what ended the session, the second one in which phase it happened.
 */

export function terminationCause(state: string | null): TerminationCause | null {
  if (state === null || state.length < 2) return null;
  switch (state.charCodeAt(0)) {
    case 67: /* C */ case 99: /* c */ return 'client';
    case 83: /* S */ case 115: /* s */ return 'server';
    case 80: /* P */ return 'proxy';
    case 76: /* L */ return 'local';
    case 82: /* R */ return 'resource';
    case 73: /* I */ return 'internal';
    case 68: /* D */ return 'down';
    case 75: /* K */ return 'killed';
    case 85: /* U */ return 'up';
    case 45: /* - */ return 'none';
    default: return 'unknown';
  }
}

export function terminationPhase(state: string | null): TerminationPhase | null {
  if (state === null || state.length < 2) return null;
  switch (state.charCodeAt(1)) {
    case 82: /* R */ return 'request';
    case 81: /* Q */ return 'queue';
    case 67: /* C */ return 'connect';
    case 72: /* H */ return 'headers';
    case 68: /* D */ return 'data';
    case 76: /* L */ return 'last_ack';
    case 84: /* T */ return 'tarpit';
    case 45: /* - */ return 'none';
    default: return 'unknown';
  }
}

/** `<NOSRV>`, `<STATS>`, `<CACHE>`, `-`: no real server was picked for the request. */
export function isRealServer(server: string | null): boolean {
  return server !== null && server.length > 0 && server.charCodeAt(0) !== 60 /* < */ && server !== '-';
}

/** The connect timer of http or tcp timers; null when the format does not log it. */
function connectTimer(ev: HaproxyEvent): number | null {
  const t = ev.timers;
  if (t === null) return null;
  const tc = t.Tc;
  return tc === undefined ? null : tc;
}

/**
 * Fills conn_failure, termination_cause, termination_phase and server_error from the fields
 * already parsed. Only request/session lines (kinds http and tcp, and custom formats that log a
 * termination state or a server) are classified; other kinds keep the defaults.
 */
export function classify(ev: HaproxyEvent): void {
  const state = ev.termination_state;
  const cause = terminationCause(state);
  const phase = terminationPhase(state);
  ev.termination_cause = cause;
  ev.termination_phase = phase;
  const c0 = state !== null && state.length >= 2 ? state.charCodeAt(0) : 0;
  const c1 = state !== null && state.length >= 2 ? state.charCodeAt(1) : 0;

  // DESIGN.md: SC / sC, or Tc = -1 with a server attempted, or <NOSRV>.
  const refusedOrTimedOut = (c0 === 83 /* S */ || c0 === 115 /* s */) && c1 === 67; /* C */
  let failed = refusedOrTimedOut || ev.server === '<NOSRV>';
  if (!failed && connectTimer(ev) === -1 && isRealServer(ev.server)) {
    // A server was assigned; a connection was attempted unless the session ended before the
    // connect phase (request, queue, tarpit) or was answered by HAProxy itself (L).
    const beforeConnect = c1 === 82 /* R */ || c1 === 81 /* Q */ || c1 === 84; /* T */
    failed = !beforeConnect && c0 !== 76; /* L */
  }
  ev.conn_failure = failed;

  // A 5xx counts as the server's own only when the server sent response headers: HAProxy's
  // own 502/503/504 come with a server-side abort or timeout before or during the headers
  // phase (SC sC SH sH SQ sQ), a proxy block (PH PR PT …), a resource or internal error (R I),
  // a locally handled request (L), or with no server at all (<NOSRV>).
  const status = ev.status;
  let serverError = false;
  if (status !== null && status >= 500 && status <= 599 && isRealServer(ev.server)) {
    const tr = ev.timers !== null ? ev.timers.Tr : undefined;
    const headersReceived = tr === undefined || tr >= 0;
    const haproxyGenerated =
      c0 === 80 /* P */ || c0 === 82 /* R */ || c0 === 73 /* I */ || c0 === 76 /* L */ ||
      ((c0 === 83 || c0 === 115 || c0 === 68 /* D */ || c0 === 75 /* K */) &&
        (c1 === 67 || c1 === 72 || c1 === 81 || c1 === 82 || c1 === 84)) ||
      c1 === 81 /* Q */ || c1 === 67; /* C */
    serverError = headersReceived && !haproxyGenerated;
  }
  ev.server_error = serverError;
}
