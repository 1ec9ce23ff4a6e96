import type { HaproxyEvent } from '../haproxy/event.js';
import { newEvent } from '../haproxy/new-event.js';
import type { HealthSignal } from './poller.js';

/**
 * A server state change seen by the runtime API poller, as the `health` event HAProxy logs
 * for it ("Server be/s is DOWN"): the detector's health rule (fire_on_health_down) fires and
 * resolves the server-down pack from it exactly as from the log line, even when HAProxy's
 * logs are lost or late. Only transitions produce events: a server found DOWN on the first
 * poll, a server going DOWN, a DOWN server coming back UP.
 */
export function healthEventOf(s: HealthSignal): HaproxyEvent | null {
  const wasDown = s.previous_status === 'DOWN';
  let state: 'DOWN' | 'UP';
  if (s.status === 'DOWN' && !wasDown) state = 'DOWN';
  else if (s.status !== 'DOWN' && wasDown) state = 'UP';
  else return null;
  const e = newEvent();
  e.timestamp = s.at;
  e.host = s.host;
  e.kind = 'health';
  e.format = 'runtime_api';
  e.backend = s.backend;
  e.server = s.server;
  e.health = { state, reason: s.check_status ? `runtime API: check ${s.check_status}` : 'runtime API', check: s.check_status, active_servers: null, backup_servers: null };
  e.message = `Server ${s.backend}/${s.server} is ${state} (runtime API: ${s.status}${s.check_status ? `, check ${s.check_status}` : ''})`;
  e.event_id = `runtime_api:${s.host ?? ''}|${s.backend}|${s.server}|${s.at}|${state}`;
  return e;
}
