import type { AlertEvent } from '../detect/alert.js';
import type { HaproxyConfig } from '../config/haproxy.js';
import { isSafeProxyName, parseRuntimeAddress, runtimeCommand } from '../stats/runtime-api.js';

/** The backend server an alert is about, with what the config (or the runtime API) knows of it. */
export interface RepairTarget {
  host: string | null;
  backend: string | null;
  server: string | null;
  ip: string | null;
  port: number | null;
  url: string | null;
  service: string | null;
  /** "backend/server" (cooldown key and hook_runs.target). */
  label: string;
}

export function targetLabel(a: Pick<AlertEvent, 'backend' | 'server'>): string {
  return `${a.backend ?? '-'}/${a.server ?? '-'}`;
}

/**
 * Resolves the alert's backend/server against `haproxy.backends`; address and port missing
 * there are asked from the runtime API (`show servers state BACKEND`) when `askRuntime`.
 * `haproxy` is the settings of the alert's host (haproxyForHost).
 */
export async function resolveTarget(alert: AlertEvent, haproxy: HaproxyConfig, askRuntime = true): Promise<RepairTarget> {
  const backendCfg = alert.backend !== null ? haproxy.backends[alert.backend] : undefined;
  const serverCfg = alert.server !== null ? backendCfg?.servers[alert.server] : undefined;
  let ip = serverCfg?.ip ?? null;
  let port = serverCfg?.port ?? null;
  if ((ip === null || port === null) && askRuntime && alert.backend && alert.server) {
    const found = await runtimeServerAddress(haproxy, alert.backend, alert.server).catch(() => null);
    ip ??= found?.ip ?? null;
    port ??= found?.port ?? null;
  }
  const url = serverCfg?.health_url ?? (ip !== null && port !== null ? `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}/` : null);
  return {
    host: alert.host,
    backend: alert.backend,
    server: alert.server,
    ip,
    port,
    url,
    service: serverCfg?.service ?? backendCfg?.service ?? null,
    label: targetLabel(alert),
  };
}

/** srv_addr / srv_port of one server from `show servers state BACKEND`. */
export async function runtimeServerAddress(
  haproxy: HaproxyConfig,
  backend: string,
  server: string,
): Promise<{ ip: string; port: number } | null> {
  if (!isSafeProxyName(backend) || !isSafeProxyName(server)) return null;
  const text = await runtimeCommand(parseRuntimeAddress(haproxy.runtime_socket), `show servers state ${backend}`, {
    timeoutMs: haproxy.runtime_timeout_ms,
  });
  const lines = text.split('\n');
  const header = lines.find((l) => l.startsWith('# be_id'));
  if (!header) return null;
  const cols = header.slice(2).trim().split(/\s+/);
  for (const line of lines) {
    if (!line || line.startsWith('#') || /^\d+$/.test(line.trim())) continue;
    const cells = line.trim().split(/\s+/);
    const get = (c: string) => cells[cols.indexOf(c)];
    if (get('be_name') === backend && get('srv_name') === server) {
      const port = Number(get('srv_port'));
      const ip = get('srv_addr');
      if (ip && Number.isInteger(port) && port > 0) return { ip, port };
    }
  }
  return null;
}

const KEEP_FROM_PARENT = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'];

/**
 * The environment a hook program gets: a few variables of ours (not secrets: the parent
 * environment is not inherited), the alert and its target, and the hook's static `env`.
 * Values are data, never code: they reach the program as env strings, no shell involved.
 */
export function hookEnvironment(
  alert: AlertEvent,
  target: RepairTarget,
  haproxy: HaproxyConfig,
  extra: Record<string, string> & { BREAKWATER_HOOK: string; BREAKWATER_RUN_ID: string },
  staticEnv: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of KEEP_FROM_PARENT) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  env.PATH ??= '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const vars: Record<string, string | number | null> = {
    ...haproxy.env,
    ...staticEnv,
    BACKEND_NAME: target.backend,
    BACKEND_SERVER_NAME: target.server,
    BACKEND_SERVER_IP: target.ip,
    BACKEND_SERVER_PORT: target.port,
    BACKEND_SERVER_URL: target.url,
    BACKEND_SERVICE_NAME: target.service,
    HOST: target.host,
    ALERT_ID: alert.alert_id,
    ALERT_STATE: alert.state,
    ALERT_RULE: alert.rule,
    ALERT_SUMMARY: alert.summary,
    ALERT_OBSERVED: alert.observed,
    ALERT_BASELINE: alert.baseline,
    ALERT_THRESHOLD: alert.threshold,
    ALERT_FIRED_AT: alert.fired_at,
    HAPROXY_BIN: haproxy.binary,
    HAPROXY_CONFIG: haproxy.config_file,
    HAPROXY_SOCKET: haproxy.runtime_socket,
    ...extra,
  };
  for (const [k, v] of Object.entries(vars)) {
    // NUL cannot live in an environment string; everything else is passed as is.
    env[k] = v === null || v === undefined ? '' : String(v).replace(/\0/g, '');
  }
  return env;
}
