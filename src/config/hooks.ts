import { z } from 'zod';
import { envName } from './notify.js';

const guardrails = {
  on: z
    .array(z.enum(['firing', 'resolved']))
    .min(1)
    .default(['firing'])
    .describe('Alert states that run this hook.'),
  rules: z.array(z.string().min(1)).default([]).describe('Alert rules this hook handles (e.g. conn_failures_above_normal); empty: every rule.'),
  min_evaluations: z.number().int().min(1).default(1).describe('Run only once the alert has held for this many detector evaluations.'),
  delay_s: z
    .number()
    .min(0)
    .default(0)
    .describe('Wait until this long after the alert arrived, then run only if it is still firing (transient states clear; the chain waits with it).'),
  cooldown_s: z.number().min(0).default(600).describe('Minimum seconds between two runs of this hook for the same backend/server.'),
  max_runs_per_hour: z.number().int().min(1).default(6).describe('Circuit breaker: runs of this hook per rolling hour, all targets together; beyond it runs are skipped.'),
  max_concurrent: z.number().int().min(1).default(1).describe('Runs of this hook at the same time; more are skipped.'),
  timeout_ms: z.number().int().positive().default(30000).describe('Time limit of one run; an exec hook\'s whole process group is killed when it is reached.'),
  run_if: z
    .enum(['always', 'previous_failed', 'previous_ok'])
    .default('always')
    .describe('Run always, or only when the previous repair hook of the list failed (e.g. restart after a failed probe) or succeeded.'),
  run_if_of: z
    .string()
    .optional()
    .describe('Name of an earlier repair hook whose outcome run_if looks at. Absent: the hook just before.'),
  dry_run: z.boolean().optional().describe('Overrides hooks.dry_run for this hook.'),
};

const name = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
  .describe('Hook name (hook_runs.hook, cooldown key).');

export const ExecHookSchema = z
  .object({
    name,
    type: z.literal('exec'),
    ...guardrails,
    argv: z.array(z.string()).min(1).describe('Program and arguments, run without a shell. The alert reaches it only through environment variables (BACKEND_NAME, BACKEND_SERVER_IP, ALERT_ID …).'),
    cwd: z.string().optional().describe('Working directory (relative paths resolve against the pipeline file\'s directory). Absent: the pipeline file\'s directory.'),
    env: z.record(envName, z.string()).default({}).describe('Extra environment variables for the program (static values; the parent environment is not inherited beyond PATH, HOME, LANG).'),
    output_cap_bytes: z.number().int().positive().default(16384).describe('Captured stdout+stderr kept in hook_runs.'),
  })
  .strict();

export const HttpHookSchema = z
  .object({
    name,
    type: z.literal('http'),
    ...guardrails,
    url_env: envName.describe('Environment variable holding the URL the JSON alert is POSTed to (secret).'),
    hmac_secret_env: envName.optional().describe('Environment variable holding the HMAC-SHA256 key signing the body (secret). Absent: unsigned.'),
    signature_header: z.string().min(1).default('X-Breakwater-Signature').describe('Header carrying `sha256=<hex HMAC of timestamp.body>`.'),
    retries: z.number().int().min(0).max(10).default(3).describe('Retries on network error, 429 or 5xx.'),
    backoff_ms: z.number().int().min(0).default(500).describe('First retry delay; doubles on each retry.'),
  })
  .strict();

export const ProbeHookSchema = z
  .object({
    name,
    type: z.literal('probe_backend'),
    ...guardrails,
    http: z.boolean().default(true).describe('After the TCP connect, GET the health URL and expect a 2xx/3xx status (any HTTP version).'),
  })
  .strict();

export const RestartHookSchema = z
  .object({
    name,
    type: z.literal('restart_service'),
    ...guardrails,
    argv: z.array(z.string()).min(1).optional().describe('Command restarting the service, run without a shell. Absent: `systemctl restart SERVICE` with the target\'s service name.'),
    verify_probe: z.boolean().default(true).describe('After the restart, probe the server until it answers or the timeout ends; the run fails if it never does.'),
  })
  .strict();

export const RuntimeHookSchema = z
  .object({
    name,
    type: z.literal('haproxy_runtime'),
    ...guardrails,
    action: z.enum(['drain', 'maint', 'ready']).describe('`set server BACKEND/SERVER state ACTION` through the runtime API.'),
  })
  .strict();

export const RepairHookSchema = z.discriminatedUnion('type', [
  ExecHookSchema,
  HttpHookSchema,
  ProbeHookSchema,
  RestartHookSchema,
  RuntimeHookSchema,
]);

export const DiagnosticsSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Gather debug data when an alert fires (read-only; runs in dry-run too).'),
    timeout_ms: z.number().int().positive().default(10000).describe('Time limit of each diagnostic.'),
    output_cap_bytes: z.number().int().positive().default(16384).describe('Output kept per diagnostic in hook_runs.'),
    cooldown_s: z.number().min(0).default(300).describe('Minimum seconds between two diagnostics runs for the same backend/server.'),
    max_runs_per_hour: z.number().int().min(1).default(60).describe('Circuit breaker for each diagnostic, all targets together.'),
    haproxy_check: z.boolean().default(true).describe('Validate the configuration: `haproxy -c -f CONFIG`.'),
    runtime_stats: z.boolean().default(true).describe('`show stat` and `show servers state` for the backend through the runtime API.'),
    probe: z.boolean().default(true).describe('TCP connect and HTTP probe of the server.'),
    log_lines: z.number().int().min(0).default(50).describe('Recent log lines of the backend/server read from haproxy.log_file (0: off).'),
    log_scan_bytes: z.number().int().positive().default(4 * 1024 * 1024).describe('How far back from the end of the log file to look for them.'),
    store_breakdown_minutes: z.number().int().min(0).default(15).describe('Status-code and termination-state breakdown from the store over this many minutes (0: off).'),
  })
  .strict();

export const VerifySchema = z
  .object({
    enabled: z.boolean().default(true).describe('After a repair, wait for the alert to resolve and record the time to recover.'),
    deadline_s: z.number().positive().default(300).describe('Not resolved this many seconds after the first repair: record a failed verify run and escalate.'),
  })
  .strict();

/** The `hooks` section of a pipeline file: diagnostics, repair hooks and their guardrails. */
export const HooksSchema = z
  .object({
    dry_run: z.boolean().default(true).describe('Record what the repair hooks would do without doing it (status dry_run). Read-only probes still run. Turn off once the pack is trusted.'),
    kill_switch_env: envName.default('BREAKWATER_HOOKS_DISABLED').describe('When this environment variable is 1/true, no repair hook runs (each is recorded as skipped).'),
    kill_switch_file: z.string().optional().describe('When this file exists, no repair hook runs (flip it on a running process).'),
    max_concurrent: z.number().int().min(1).default(4).describe('Repair hook runs at the same time, all hooks together; more are skipped.'),
    diagnostics: DiagnosticsSchema.prefault({}),
    repair: z.array(RepairHookSchema).default([]).describe('Repair hooks, run in order for each alert.'),
    verify: VerifySchema.prefault({}),
  })
  .strict()
  .superRefine((hooks, ctx) => {
    const seen = new Set<string>();
    hooks.repair.forEach((h, i) => {
      if (seen.has(h.name)) ctx.addIssue({ code: 'custom', path: ['repair', i, 'name'], message: `duplicate hook name ${h.name}` });
      if (h.run_if_of !== undefined && !seen.has(h.run_if_of)) {
        ctx.addIssue({ code: 'custom', path: ['repair', i, 'run_if_of'], message: `must name an earlier repair hook, not ${h.run_if_of}` });
      }
      seen.add(h.name);
    });
  });

export type HooksConfig = z.infer<typeof HooksSchema>;
export type RepairHookConfig = z.infer<typeof RepairHookSchema>;
export type DiagnosticsConfig = z.infer<typeof DiagnosticsSchema>;
