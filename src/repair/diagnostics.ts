import type { AlertEvent } from '../detect/alert.js';
import type { HaproxyConfig } from '../config/haproxy.js';
import type { DiagnosticsConfig } from '../config/hooks.js';
import type { Store } from '../store/store.js';
import { isSafeProxyName, parseRuntimeAddress, runtimeCommand } from '../stats/runtime-api.js';
import { parseStatCsv } from '../stats/csv.js';
import { runProcess } from './process.js';
import { probeBackend } from './probe.js';
import { tailMatching } from './log-tail.js';
import { capText } from './output.js';
import type { RepairTarget } from './target.js';
import { withTimeout } from './with-timeout.js';

export interface DiagnosticResult {
  ok: boolean;
  output: string;
  exitCode?: number | null;
  timedOut?: boolean;
}

/** One read-only look an operator would take when the alert fires. */
export interface Diagnostic {
  name: string;
  type: string;
  run(ctx: DiagnosticContext): Promise<DiagnosticResult>;
}

export interface DiagnosticContext {
  alert: AlertEvent;
  target: RepairTarget;
  haproxy: HaproxyConfig;
  config: DiagnosticsConfig;
  store: Store | null;
}

/**
 * Status-code × termination-state counts of the server over the last minutes (bound
 * parameters; FINAL so a line delivered twice counts once; epoch seconds avoid time zones).
 */
export const BREAKDOWN_SQL = `
SELECT status, termination_state, count() AS requests, sum(conn_failure) AS conn_failures
FROM haproxy_events FINAL
WHERE backend = {backend:String} AND server = {server:String} AND timestamp >= toDateTime({since:UInt32}, 'UTC')
GROUP BY status, termination_state
ORDER BY requests DESC
LIMIT 30`;

function table(rows: Record<string, unknown>[]): string {
  if (!rows.length) return '(no rows)';
  const cols = Object.keys(rows[0]);
  return [cols.join('\t'), ...rows.map((r) => cols.map((c) => String(r[c] ?? '')).join('\t'))].join('\n');
}

const haproxyCheck: Diagnostic = {
  name: 'haproxy_config_check',
  type: 'haproxy_check',
  async run({ haproxy, config }) {
    const r = await runProcess([haproxy.binary, '-c', '-f', haproxy.config_file], {
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      timeoutMs: config.timeout_ms,
      outputCapBytes: config.output_cap_bytes,
    });
    if (r.spawnError) return { ok: false, output: `cannot run ${haproxy.binary}: ${r.spawnError}` };
    return { ok: r.exitCode === 0, output: r.output || `exit code ${r.exitCode}`, exitCode: r.exitCode, timedOut: r.timedOut };
  },
};

function needsBackend(target: RepairTarget): string {
  if (!target.backend || !isSafeProxyName(target.backend)) throw new Error('alert names no backend HAProxy could have');
  return target.backend;
}

const showStat: Diagnostic = {
  name: 'runtime_show_stat',
  type: 'haproxy_runtime',
  async run({ target, haproxy, config }) {
    const backend = needsBackend(target);
    const text = await runtimeCommand(parseRuntimeAddress(haproxy.runtime_socket), 'show stat', { timeoutMs: config.timeout_ms });
    const header = text.split('\n').find((l) => l.startsWith('# ')) ?? '';
    const rows = parseStatCsv(text).filter((r) => r.pxname === backend);
    const keep = ['svname', 'status', 'check_status', 'check_code', 'last_chk', 'scur', 'qcur', 'econ', 'eresp', 'wretr', 'wredis', 'chkfail', 'chkdown', 'downtime', 'lastchg', 'weight'];
    const cols = keep.filter((c) => header.includes(c));
    const lines = rows.map((r) => cols.map((c) => `${c}=${r[c] ?? ''}`).join(' '));
    const server = rows.find((r) => r.svname === target.server);
    const ok = server ? !/^DOWN/.test(server.status ?? '') : rows.length > 0;
    return { ok, output: lines.length ? lines.join('\n') : `no rows for backend ${backend}` };
  },
};

const showServersState: Diagnostic = {
  name: 'runtime_servers_state',
  type: 'haproxy_runtime',
  async run({ target, haproxy, config }) {
    const backend = needsBackend(target);
    const text = await runtimeCommand(parseRuntimeAddress(haproxy.runtime_socket), `show servers state ${backend}`, { timeoutMs: config.timeout_ms });
    return { ok: !/^Can't find|^Unknown/m.test(text), output: text.trim() };
  },
};

const probe: Diagnostic = {
  name: 'probe_server',
  type: 'probe_backend',
  async run({ target, config }) {
    const r = await probeBackend(target, { timeoutMs: config.timeout_ms, http: true });
    return { ok: r.ok, output: r.detail };
  },
};

const recentLogs: Diagnostic = {
  name: 'recent_log_lines',
  type: 'log_tail',
  async run({ target, haproxy, config }) {
    const needle = target.server ? `${target.backend ?? ''}/${target.server}` : `${target.backend ?? ''}/`;
    const lines = await tailMatching(haproxy.log_file, needle, config.log_lines, config.log_scan_bytes);
    return { ok: true, output: lines.length ? lines.join('\n') : `no lines mentioning ${needle} in the last ${config.log_scan_bytes} bytes of ${haproxy.log_file}` };
  },
};

const storeBreakdown: Diagnostic = {
  name: 'status_breakdown',
  type: 'store_query',
  async run({ target, config, store }) {
    if (!store) return { ok: false, output: 'no store' };
    const since = Math.floor(Date.now() / 1000) - config.store_breakdown_minutes * 60;
    const rows = await store.query<Record<string, unknown>>(BREAKDOWN_SQL, { backend: target.backend ?? '', server: target.server ?? '', since });
    return { ok: true, output: `last ${config.store_breakdown_minutes} min of ${target.label}:\n${table(rows)}` };
  },
};

/** The diagnostics the config turns on, in the order an operator would run them. */
export function enabledDiagnostics(config: DiagnosticsConfig, hasStore: boolean): Diagnostic[] {
  const list: Diagnostic[] = [];
  if (config.haproxy_check) list.push(haproxyCheck);
  if (config.runtime_stats) list.push(showStat, showServersState);
  if (config.probe) list.push(probe);
  if (config.log_lines > 0) list.push(recentLogs);
  if (config.store_breakdown_minutes > 0 && hasStore) list.push(storeBreakdown);
  return list;
}

/** Runs one diagnostic under its time limit and output cap; failures become results. */
export async function runDiagnostic(d: Diagnostic, ctx: DiagnosticContext): Promise<DiagnosticResult> {
  try {
    const r = await withTimeout(d.run(ctx), ctx.config.timeout_ms + 500, d.name);
    return { ...r, output: capText(r.output, ctx.config.output_cap_bytes) };
  } catch (err) {
    const msg = (err as Error).message;
    return { ok: false, output: capText(msg, ctx.config.output_cap_bytes), timedOut: /timed out/.test(msg) };
  }
}
