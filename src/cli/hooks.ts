import { dirname, resolve } from 'node:path';
import type { Command } from './command.js';
import { parseCommandArgs, EXIT, UsageError } from './command.js';
import { loadPipeline, type Pipeline } from '../config/pipeline.js';
import { haproxyForHost, type HaproxyConfig } from '../config/haproxy.js';
import type { RepairHookConfig } from '../config/hooks.js';
import type { AlertEvent, AlertState } from '../detect/alert.js';
import { hookApplies } from '../repair/guardrails.js';
import { enabledDiagnostics } from '../repair/diagnostics.js';
import { hookProgram } from '../repair/hooks.js';
import { resolveTarget, type RepairTarget } from '../repair/target.js';

const help = `usage: breakwater hooks test -c PIPELINE.yaml --backend NAME --server NAME [--host NAME]
                             [--state firing|resolved] [--rule RULE] [--runtime] [--json]

Dry run of a pack's runbook for one backend server: builds the alert Breakwater would raise
for it and prints, for each repair hook in order, whether it applies and what it would get:
the argv, working directory and complete environment of exec and restart_service programs
(BACKEND_*, ALERT_*, HAPROXY_*, the host's and the hook's env), the runtime API command, the
probe or the webhook. Nothing runs, nothing is sent, the runtime API is not asked unless
--runtime (then a server address missing from the pack is read from \`show servers state\`).

options:
  -c, --config FILE   pipeline file (required)
      --backend NAME  HAProxy backend of the alert (required)
      --server NAME   HAProxy server of the alert (required)
      --host NAME     syslog host of the alert (selects the haproxy.hosts entry)
      --state STATE   firing (default) or resolved
      --rule RULE     alert rule (default: the first rule the pack's hooks name, else
                      conn_failures_above_normal)
      --runtime       ask the runtime API for a server address the pack does not give
      --json          one JSON object instead of text

exit status: 0, 2 for usage errors, 78 for configuration errors.`;

/** The alert the detector would raise for this series (numbers are placeholders, marked as such). */
function syntheticAlert(host: string | null, backend: string, server: string, state: AlertState, rule: string): AlertEvent {
  const now = new Date().toISOString();
  return {
    alert_id: 'hooks-test',
    state,
    rule,
    summary: `${backend}/${server}: breakwater hooks test (dry run)`,
    host,
    backend,
    server,
    fired_at: now,
    resolved_at: state === 'resolved' ? now : null,
    at: now,
    observed: 0,
    baseline: 0,
    threshold: 0,
    observed_ratio: 0,
    baseline_ratio: 0,
    requests: 0,
    first_seen: now,
    last_seen: now,
    samples: [],
  };
}

interface HookPlan {
  name: string;
  type: string;
  applies: boolean;
  why_not?: string;
  run_if: string;
  dry_run: boolean;
  argv?: string[];
  cwd?: string;
  env?: Record<string, string>;
  would: string;
}

function planOf(hook: RepairHookConfig, pipeline: Pipeline, haproxy: HaproxyConfig, alert: AlertEvent, target: RepairTarget, baseDir: string): HookPlan {
  const base = {
    name: hook.name,
    type: hook.type,
    applies: hookApplies(hook, alert),
    run_if: hook.run_if === 'always' ? 'always' : `${hook.run_if}${hook.run_if_of ? ` of ${hook.run_if_of}` : ''}`,
    dry_run: hook.dry_run ?? pipeline.hooks.dry_run,
  };
  const plan: HookPlan = base.applies ? { ...base, would: '' } : { ...base, why_not: `on: ${hook.on.join(', ')}; rules: ${hook.rules.join(', ') || 'any'}`, would: '' };
  const program = hookProgram(hook, { alert, target, haproxy, runId: 'hooks-test', baseDir });
  if (program && 'error' in program) return { ...plan, would: `error: ${program.error}` };
  if (program) return { ...plan, ...program, would: `run the program${hook.type === 'restart_service' && hook.verify_probe ? ', then probe the server until it answers' : ''}` };
  switch (hook.type) {
    case 'http':
      return { ...plan, would: `POST the alert as JSON to $${hook.url_env}${hook.hmac_secret_env ? `, signed with $${hook.hmac_secret_env} (${hook.signature_header})` : ''}` };
    case 'probe_backend':
      return { ...plan, would: `connect to ${target.ip ?? '?'}:${target.port ?? '?'}${hook.http ? ` and GET ${target.url ?? '(no URL)'}` : ''} (read-only: runs in dry run too)` };
    case 'haproxy_runtime':
      return { ...plan, would: `send "set server ${target.backend}/${target.server} state ${hook.action}" to ${haproxy.runtime_socket}` };
    default:
      return plan;
  }
}

function text(pipeline: Pipeline, alert: AlertEvent, target: RepairTarget | null, diagnostics: string[], plans: HookPlan[], skipped: string | null): string {
  const out = [
    `pack ${pipeline.name}: hooks for ${alert.state} ${alert.rule} on ${alert.host ?? '(no host)'} ${alert.backend}/${alert.server} (dry run: nothing runs)`,
  ];
  if (skipped) return [...out, skipped, ''].join('\n');
  const t = target as RepairTarget;
  out.push(`target: ip ${t.ip ?? '?'} port ${t.port ?? '?'} url ${t.url ?? '?'} service ${t.service ?? '?'}`);
  out.push(`diagnostics: ${diagnostics.join(', ') || '(none)'}`);
  plans.forEach((p, i) => {
    out.push('', `${i + 1}. ${p.name} (${p.type})${p.dry_run ? ' [dry_run]' : ''}${p.run_if === 'always' ? '' : ` run_if ${p.run_if}`}`);
    if (!p.applies) {
      out.push(`   does not apply to this alert (${p.why_not})`);
      return;
    }
    out.push(`   would ${p.would}`);
    if (p.argv) {
      out.push(`   argv: ${p.argv.map((a) => JSON.stringify(a)).join(' ')}`, `   cwd:  ${p.cwd}`, '   env:');
      for (const [k, v] of Object.entries(p.env ?? {}).sort(([a], [b]) => a.localeCompare(b))) out.push(`     ${k}=${JSON.stringify(v)}`);
    }
  });
  return out.join('\n') + '\n';
}

export const command: Command = {
  name: 'hooks',
  summary: 'hooks test: show what a pack\'s repair hooks would run for a backend server (dry run)',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      config: { type: 'string', short: 'c' },
      backend: { type: 'string' },
      server: { type: 'string' },
      host: { type: 'string' },
      state: { type: 'string', default: 'firing' },
      rule: { type: 'string' },
      runtime: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    if (!args) return EXIT.OK;
    const [sub, ...extra] = args.positionals;
    if (sub !== 'test') throw new UsageError(sub ? `unknown hooks subcommand '${sub}' (try: hooks test)` : 'a subcommand is required: hooks test');
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const { config, backend, server, state } = args.values;
    if (!config) throw new UsageError('-c PIPELINE.yaml is required');
    if (!backend || !server) throw new UsageError('--backend and --server are required');
    if (state !== 'firing' && state !== 'resolved') throw new UsageError(`--state: firing or resolved, not ${state}`);
    const pipeline = loadPipeline(config);
    const rule = args.values.rule ?? pipeline.hooks.repair.flatMap((h) => h.rules)[0] ?? 'conn_failures_above_normal';
    const alert = syntheticAlert(args.values.host ?? null, backend, server, state, rule);
    const haproxy = haproxyForHost(pipeline.haproxy, alert.host);
    const baseDir = dirname(resolve(config));
    const skipped = haproxy ? null : `host ${alert.host ?? '(none)'} is not in haproxy.hosts (unlisted_hosts: skip): every diagnostic and repair would be skipped`;
    const target = haproxy ? await resolveTarget(alert, haproxy, args.values.runtime) : null;
    const diagnostics = alert.state === 'firing' && pipeline.hooks.diagnostics.enabled ? enabledDiagnostics(pipeline.hooks.diagnostics, true).map((d) => d.name) : [];
    const plans = haproxy && target ? pipeline.hooks.repair.map((h) => planOf(h, pipeline, haproxy, alert, target, baseDir)) : [];
    if (args.values.json) {
      process.stdout.write(JSON.stringify({ pipeline: pipeline.name, alert: { state, rule: alert.rule, host: alert.host, backend, server }, skipped, target, diagnostics, hooks: plans }) + '\n');
    } else {
      process.stdout.write(text(pipeline, alert, target, diagnostics, plans, skipped));
    }
    return EXIT.OK;
  },
};
