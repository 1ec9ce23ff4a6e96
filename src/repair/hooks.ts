import { isAbsolute, resolve } from 'node:path';
import type { AlertEvent } from '../detect/alert.js';
import type { HaproxyConfig } from '../config/haproxy.js';
import type { RepairHookConfig } from '../config/hooks.js';
import type { HookRunStatus } from '../store/store.js';
import { postJson } from '../notify/post.js';
import { parseRuntimeAddress, setServerState } from '../stats/runtime-api.js';
import { runProcess, type ProcessResult } from './process.js';
import { probeBackend } from './probe.js';
import { hookEnvironment, type RepairTarget } from './target.js';
import { capText } from './output.js';

export interface HookContext {
  alert: AlertEvent;
  target: RepairTarget;
  haproxy: HaproxyConfig;
  runId: string;
  /** Directory relative hook paths resolve against (the pipeline file's). */
  baseDir: string;
  dryRun: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface HookOutcome {
  status: HookRunStatus;
  exitCode: number | null;
  reason: string | null;
  output: string;
}

const OUTPUT_CAP = 16384;

function fromProcess(r: ProcessResult, timeoutMs: number): HookOutcome {
  if (r.spawnError) return { status: 'error', exitCode: null, reason: `cannot start: ${r.spawnError}`, output: r.output };
  if (r.timedOut) return { status: 'timeout', exitCode: r.exitCode, reason: `killed after ${timeoutMs} ms`, output: r.output };
  if (r.exitCode === 0) return { status: 'ok', exitCode: 0, reason: null, output: r.output };
  return { status: 'failed', exitCode: r.exitCode, reason: r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`, output: r.output };
}

/** argv[0] given as a relative path (hooks/restart.sh) is the pipeline directory's file. */
function resolveProgram(argv: string[], baseDir: string): string[] {
  const [prog, ...args] = argv;
  return [prog.includes('/') && !isAbsolute(prog) ? resolve(baseDir, prog) : prog, ...args];
}

function describeArgv(argv: string[]): string {
  return argv.map((a) => JSON.stringify(a)).join(' ');
}

const dryRun = (output: string): HookOutcome => ({ status: 'dry_run', exitCode: null, reason: null, output });

/** Runs one repair hook (or, in dry-run, says what it would do). Never throws. */
export async function executeHook(hook: RepairHookConfig, ctx: HookContext): Promise<HookOutcome> {
  try {
    return await execute(hook, ctx);
  } catch (err) {
    return { status: 'error', exitCode: null, reason: (err as Error).message, output: '' };
  }
}

/** What an exec or restart_service hook runs, exactly as it would run it (no shell). */
export interface HookProgram {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

/**
 * The program of an exec or restart_service hook for this alert and target; an error message
 * when it has none (restart_service without a service name); null for the other hook types.
 */
export function hookProgram(hook: RepairHookConfig, ctx: Omit<HookContext, 'dryRun' | 'env'>): HookProgram | { error: string } | null {
  const { alert, target, haproxy } = ctx;
  const ids = { BREAKWATER_HOOK: hook.name, BREAKWATER_RUN_ID: ctx.runId };
  if (hook.type === 'exec') {
    return { argv: resolveProgram(hook.argv, ctx.baseDir), cwd: resolve(ctx.baseDir, hook.cwd ?? '.'), env: hookEnvironment(alert, target, haproxy, ids, hook.env) };
  }
  if (hook.type === 'restart_service') {
    if (!hook.argv && !target.service) return { error: `no service name for ${target.label} (haproxy.backends)` };
    const argv = hook.argv ? resolveProgram(hook.argv, ctx.baseDir) : ['systemctl', 'restart', target.service as string];
    return { argv, cwd: ctx.baseDir, env: hookEnvironment(alert, target, haproxy, ids) };
  }
  return null;
}

async function execute(hook: RepairHookConfig, ctx: HookContext): Promise<HookOutcome> {
  const { alert, target, haproxy } = ctx;
  const env = ctx.env ?? process.env;
  const program = hookProgram(hook, ctx);
  if (program && 'error' in program) return { status: 'error', exitCode: null, reason: program.error, output: '' };
  switch (hook.type) {
    case 'exec': {
      const { argv, cwd, env: programEnv } = program as HookProgram;
      if (ctx.dryRun) return dryRun(`would run ${describeArgv(argv)} in ${cwd} for ${target.label}`);
      const r = await runProcess(argv, { cwd, env: programEnv, timeoutMs: hook.timeout_ms, outputCapBytes: hook.output_cap_bytes });
      return fromProcess(r, hook.timeout_ms);
    }
    case 'http': {
      const url = env[hook.url_env];
      if (!url) return { status: 'error', exitCode: null, reason: `environment variable ${hook.url_env} is not set`, output: '' };
      const key = hook.hmac_secret_env ? env[hook.hmac_secret_env] : undefined;
      if (hook.hmac_secret_env && !key) return { status: 'error', exitCode: null, reason: `environment variable ${hook.hmac_secret_env} is not set`, output: '' };
      if (ctx.dryRun) return dryRun(`would POST the alert to $${hook.url_env}${key ? ' (signed)' : ''} for ${target.label}`);
      const r = await postJson(
        url,
        { hook: hook.name, run_id: ctx.runId, alert, target },
        {
          timeoutMs: hook.timeout_ms,
          retries: hook.retries,
          backoffMs: hook.backoff_ms,
          sign: key ? { key, header: hook.signature_header } : undefined,
        },
      );
      const output = `${r.detail} (${r.attempts} attempt(s))`;
      return r.ok ? { status: 'ok', exitCode: null, reason: null, output } : { status: 'failed', exitCode: null, reason: r.detail, output };
    }
    case 'probe_backend': {
      // Read-only: runs in dry-run too, so the rest of the chain (run_if) decides on facts.
      const r = await probeBackend(target, { timeoutMs: hook.timeout_ms, http: hook.http });
      return { status: r.ok ? 'ok' : 'failed', exitCode: null, reason: r.ok ? null : 'backend does not answer', output: r.detail };
    }
    case 'restart_service': {
      const { argv, cwd, env: programEnv } = program as HookProgram;
      if (ctx.dryRun) return dryRun(`would run ${describeArgv(argv)} for ${target.label}${hook.verify_probe ? ', then probe it until it answers' : ''}`);
      const r = await runProcess(argv, { cwd, env: programEnv, timeoutMs: hook.timeout_ms, outputCapBytes: OUTPUT_CAP });
      const outcome = fromProcess(r, hook.timeout_ms);
      if (outcome.status !== 'ok' || !hook.verify_probe) return outcome;
      const probe = await probeUntilHealthy(target, hook.timeout_ms);
      const output = capText(`${outcome.output}\n${probe.detail}`, OUTPUT_CAP);
      return probe.ok ? { ...outcome, output } : { status: 'failed', exitCode: 0, reason: 'restarted, but the server does not answer', output };
    }
    case 'haproxy_runtime': {
      if (!target.backend || !target.server) return { status: 'error', exitCode: null, reason: 'alert names no backend/server', output: '' };
      if (ctx.dryRun) return dryRun(`would send "set server ${target.backend}/${target.server} state ${hook.action}" to ${haproxy.runtime_socket}`);
      const out = await setServerState(parseRuntimeAddress(haproxy.runtime_socket), target.backend, target.server, hook.action, hook.timeout_ms);
      return { status: 'ok', exitCode: null, reason: null, output: out };
    }
  }
}

/** Probes once a second until the server answers or the time is up. */
async function probeUntilHealthy(target: RepairTarget, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = { ok: false, detail: 'not probed' };
  while (Date.now() < deadline) {
    last = await probeBackend(target, { timeoutMs: Math.min(2000, Math.max(1, deadline - Date.now())), http: true });
    if (last.ok) return { ok: true, detail: `after restart: ${last.detail}` };
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { ok: false, detail: `after restart, within ${timeoutMs} ms: ${last.detail}` };
}
