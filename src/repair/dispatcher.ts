import { randomUUID } from 'node:crypto';
import type { AlertDispatcher, AlertEvent } from '../detect/alert.js';
import type { Bus } from '../bus/bus.js';
import type { Store } from '../store/store.js';
import type { Pipeline } from '../config/pipeline.js';
import type { RepairHookConfig } from '../config/hooks.js';
import { haproxyForHost, type HaproxyConfig } from '../config/haproxy.js';
import { log } from '../observe/log.js';
import { Notifier, buildReceivers } from '../notify/notifier.js';
import type { Notification, TriedStep } from '../notify/notification.js';
import { HookRunRecorder, type RunRecord } from './audit.js';
import { Guardrails, evaluationsReason, hookApplies, killSwitchReason } from './guardrails.js';
import { enabledDiagnostics, runDiagnostic } from './diagnostics.js';
import { executeHook } from './hooks.js';
import { Redactor } from './redact.js';
import { resolveTarget, targetLabel, type RepairTarget } from './target.js';
import type { HealthSignal } from '../stats/poller.js';
import type { PendingRecovery, RecoveryWatcher } from './pending.js';
import { guardrailWindowMs, loadPastRuns } from './history.js';
import { withTimeout } from './with-timeout.js';

export interface DispatcherOptions {
  pipeline: Pick<Pipeline, 'name' | 'haproxy' | 'hooks' | 'notify' | 'stats'>;
  /** Relative hook paths and cwd resolve against this (the pipeline file's directory). */
  baseDir: string;
  store: Store | null;
  bus: Bus | null;
  env?: NodeJS.ProcessEnv;
  /** The stats pollers' latest view of a server on a host (StatsPollers.latest), to enrich notifications. */
  serverStatus?: (host: string | null, backend: string, server: string) => HealthSignal | undefined;
  /** Clock of the guardrails (tests). */
  now?: () => number;
}

/** What the dispatcher remembers of one incident (by alert_id) between firing and resolved. */
interface Incident {
  tried: TriedStep[];
  /** Wall-clock ms of the first repair that really ran (not dry-run). */
  firstRepairAt: number | null;
  /** Wall-clock ms of the first repair attempt, dry-run included (verify deadline). */
  firstAttemptAt: number | null;
  deadline: NodeJS.Timeout | null;
  resolved: boolean;
  /** Lifecycle states already notified: a detector re-emitting `firing` (more evaluations) pages once. */
  notified: Set<string>;
  /** Wall-clock ms the dispatcher first heard of the alert (delay_s counts from here). */
  createdAt: number;
  /** Last real outcome of each repair hook in this incident (a later cooldown skip keeps it). */
  outcomes: Map<string, string>;
  /** Wakes chains sleeping through a hook's delay_s (on resolve and on close). */
  wake: Set<() => void>;
  /** The latest lifecycle event (release() selects incidents by their series). */
  alert: AlertEvent | null;
  /** Handed over to another processor (partition revoked): its recovery is not watched here. */
  released: boolean;
}

const MAX_INCIDENTS = 10_000;
const TARGET_CACHE_MS = 60_000;
/** How long a repair waits for its start row to be stored before it acts anyway. */
const START_ROW_WAIT_MS = 5_000;

/** Every secret env var the config names: redacted from hook_runs and logs. */
function secretEnvNames(p: DispatcherOptions['pipeline']): string[] {
  const names = [...p.notify.webhooks.map((w) => w.url_env), ...p.notify.slack.map((s) => s.webhook_url_env)];
  for (const h of p.hooks.repair) {
    if (h.type === 'http') {
      names.push(h.url_env);
      if (h.hmac_secret_env) names.push(h.hmac_secret_env);
    }
  }
  if (p.stats.password_env) names.push(p.stats.password_env);
  return names;
}

/**
 * The AlertDispatcher of a pipeline: notifies (webhook, Slack, breakwater.alerts) and runs the
 * runbook (diagnostics, repair hooks under guardrails, recovery verification, escalation).
 * `dispatch` never waits for any of it: detection goes on while hooks and notifiers work.
 * A `firing` event repeated for the same alert_id (the detector reporting more evaluations)
 * notifies once but gives hooks waiting for `min_evaluations` their chance.
 * On a resolved event after a repair, `time_to_recover_ms` is set on the event object passed
 * in before `dispatch` returns, so a caller storing the alert afterwards stores it too.
 */
export class RepairDispatcher implements AlertDispatcher, RecoveryWatcher {
  private readonly recorder: HookRunRecorder;
  private readonly notifier: Notifier;
  private readonly repairGuard: Guardrails;
  private readonly diagnosticGuard: Guardrails;
  private readonly incidents = new Map<string, Incident>();
  private readonly targets = new Map<string, { at: number; target: Promise<RepairTarget> }>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly env: NodeJS.ProcessEnv;
  private pastRuns: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly opts: DispatcherOptions) {
    this.env = opts.env ?? process.env;
    this.recorder = new HookRunRecorder(opts.store, new Redactor(secretEnvNames(opts.pipeline), this.env));
    this.notifier = new Notifier(buildReceivers(opts.pipeline.notify, opts.bus, this.env), this.recorder, opts.pipeline.notify.queue_size);
    this.repairGuard = new Guardrails(opts.pipeline.hooks.max_concurrent, opts.now);
    this.diagnosticGuard = new Guardrails(Number.MAX_SAFE_INTEGER, opts.now);
  }

  async dispatch(event: AlertEvent): Promise<void> {
    if (this.closed) return;
    const incident = this.incident(event.alert_id);
    incident.alert = event;
    incident.released = false;
    if (event.state === 'resolved') this.onResolved(event, incident);
    if (!incident.notified.has(event.state)) {
      incident.notified.add(event.state);
      this.notifier.notify({ kind: event.state, pipeline: this.opts.pipeline.name, alert: event, tried: [...incident.tried], server_status: this.serverStatus(event) });
    }
    this.track(this.runbook(event, incident));
  }

  /**
   * After a restart: keeps watching the recovery of incidents repaired before it (the verify
   * deadline counts from their first repair; already passed: verify fails and escalates now).
   * They were notified as firing already: a re-reported `firing` does not page again.
   */
  restore(pending: PendingRecovery[]): void {
    for (const p of pending) {
      const incident = this.incident(p.alert.alert_id);
      incident.alert ??= p.alert;
      incident.released = false;
      incident.firstAttemptAt ??= p.firstAttemptAt;
      incident.firstRepairAt ??= p.firstRepairAt;
      incident.notified.add('firing');
      this.watchRecovery(p.alert, incident);
    }
  }

  /**
   * Kafka mode, on partition revocation: stops watching the recovery of the open incidents `owns`
   * selects, without escalating; the partition's next owner restores them from the store.
   */
  release(owns: (alert: AlertEvent) => boolean): number {
    let released = 0;
    for (const i of this.incidents.values()) {
      if (i.resolved || i.released || !i.alert || !owns(i.alert)) continue;
      if (i.deadline) clearTimeout(i.deadline);
      i.deadline = null;
      i.released = true;
      released++;
    }
    return released;
  }

  /** Resolves once every running hook, diagnostic and queued notification is done. */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
    await this.notifier.idle();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const i of this.incidents.values()) {
      if (i.deadline) clearTimeout(i.deadline);
      for (const wake of [...i.wake]) wake();
    }
    await this.idle();
  }

  private serverStatus(event: AlertEvent): string | undefined {
    if (!this.opts.serverStatus || !event.backend || !event.server) return undefined;
    const s = this.opts.serverStatus(event.host, event.backend, event.server);
    return s ? `${s.status}${s.check_status ? ` (check ${s.check_status})` : ''} at ${s.at}` : undefined;
  }

  private track(p: Promise<void>): void {
    const guarded = p.catch((err: Error) => log.error({ err: err.message }, 'repair dispatcher failed'));
    this.inflight.add(guarded);
    void guarded.finally(() => this.inflight.delete(guarded));
  }

  private incident(alertId: string): Incident {
    let i = this.incidents.get(alertId);
    if (!i) {
      i = { tried: [], firstRepairAt: null, firstAttemptAt: null, deadline: null, resolved: false, notified: new Set(), createdAt: Date.now(), outcomes: new Map(), wake: new Set(), alert: null, released: false };
      this.incidents.set(alertId, i);
      if (this.incidents.size > MAX_INCIDENTS) {
        const [oldestId, oldest] = this.incidents.entries().next().value as [string, Incident];
        if (oldest.deadline) clearTimeout(oldest.deadline);
        this.incidents.delete(oldestId);
      }
    }
    return i;
  }

  private onResolved(event: AlertEvent, incident: Incident): void {
    incident.resolved = true;
    for (const wake of [...incident.wake]) wake();
    if (incident.deadline) clearTimeout(incident.deadline);
    incident.deadline = null;
    if (incident.firstRepairAt === null) return;
    const ttr = Math.max(0, Date.now() - incident.firstRepairAt);
    event.time_to_recover_ms = ttr;
    void this.recorder.record({
      alert_id: event.alert_id,
      phase: 'verify',
      hook: 'recovery',
      type: 'verify',
      target: `${event.backend ?? '-'}/${event.server ?? '-'}`,
      startedAt: incident.firstRepairAt,
      status: 'ok',
      reason: null,
      output: `recovered ${ttr} ms after the first repair`,
      dry_run: false,
    });
  }

  private async target(event: AlertEvent, haproxy: HaproxyConfig): Promise<RepairTarget> {
    const key = `${event.host}|${event.backend}|${event.server}`;
    const cached = this.targets.get(key);
    const now = Date.now();
    if (cached && now - cached.at < TARGET_CACHE_MS) return cached.target;
    const target = resolveTarget(event, haproxy);
    this.targets.set(key, { at: now, target });
    if (this.targets.size > MAX_INCIDENTS) this.targets.delete(this.targets.keys().next().value as string);
    return target;
  }

  private async runbook(event: AlertEvent, incident: Incident): Promise<void> {
    const { hooks } = this.opts.pipeline;
    const applicable = hooks.repair.filter((h) => hookApplies(h, event));
    const diagnose = event.state === 'firing' && hooks.diagnostics.enabled;
    if (!diagnose && !applicable.length) return;
    const haproxy = haproxyForHost(this.opts.pipeline.haproxy, event.host);
    if (!haproxy) {
      await this.skipUnlistedHost(event, diagnose, applicable);
      return;
    }
    await this.rememberPastRuns();
    const target = await this.target(event, haproxy);
    if (diagnose) await this.diagnose(event, target, incident, haproxy);
    if (applicable.length) await this.repair(event, target, incident, applicable, haproxy);
  }

  /** Cooldowns and rate limits count per backend/server, and per host when the config describes each host. */
  private guardKey(host: string | null, label: string): string {
    return Object.keys(this.opts.pipeline.haproxy.hosts).length ? `${host ?? '-'} ${label}` : label;
  }

  /**
   * Before the first guardrail decision: the runs admitted within the longest guardrail window
   * before this process started (any processor's, from hook_runs) count against cooldowns and
   * breakers, so a crash-looping or redeployed processor does not repeat a repair at once.
   * A store that cannot answer is logged and leaves the guardrails to this process's own runs.
   */
  private rememberPastRuns(): Promise<void> {
    const store = this.opts.store;
    if (!store) return Promise.resolve();
    this.pastRuns ??= (async () => {
      const hooks = this.opts.pipeline.hooks;
      try {
        const runs = await loadPastRuns(store, Date.now() - guardrailWindowMs(hooks));
        for (const r of runs) (r.phase === 'repair' ? this.repairGuard : this.diagnosticGuard).remember(r.hook, this.guardKey(r.host, r.target), r.at);
        if (runs.length) log.info({ runs: runs.length }, 'repair guardrails: earlier runs counted against cooldowns and breakers');
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'repair guardrails: cannot read earlier runs from the store; limits count this process\'s runs only');
      }
    })();
    return this.pastRuns;
  }

  private async skipUnlistedHost(event: AlertEvent, diagnose: boolean, applicable: RepairHookConfig[]): Promise<void> {
    const reason = `host ${event.host ?? '(none)'} is not in haproxy.hosts (unlisted_hosts: skip)`;
    const common = { alert_id: event.alert_id, target: targetLabel(event), startedAt: Date.now(), status: 'skipped' as const, reason };
    const diagnostics = diagnose ? enabledDiagnostics(this.opts.pipeline.hooks.diagnostics, this.opts.store !== null) : [];
    for (const d of diagnostics) await this.recorder.record({ ...common, phase: 'diagnostic', hook: d.name, type: d.type, dry_run: false });
    for (const h of applicable) await this.recorder.record({ ...common, phase: 'repair', hook: h.name, type: h.type, dry_run: h.dry_run ?? this.opts.pipeline.hooks.dry_run });
  }

  private async diagnose(event: AlertEvent, target: RepairTarget, incident: Incident, haproxy: HaproxyConfig): Promise<void> {
    const cfg = this.opts.pipeline.hooks.diagnostics;
    const list = enabledDiagnostics(cfg, this.opts.store !== null);
    await Promise.all(
      list.map(async (d) => {
        const startedAt = Date.now();
        const base = { alert_id: event.alert_id, phase: 'diagnostic' as const, hook: d.name, type: d.type, target: target.label, dry_run: false };
        const admission = this.diagnosticGuard.admit(d.name, this.guardKey(event.host, target.label), { cooldownS: cfg.cooldown_s, maxRunsPerHour: cfg.max_runs_per_hour, maxConcurrent: 4 });
        if (!admission.admitted) {
          await this.recorder.record({ ...base, startedAt, status: 'skipped', reason: admission.reason });
          return;
        }
        try {
          const r = await runDiagnostic(d, { alert: event, target, haproxy, config: cfg, store: this.opts.store });
          const status = r.timedOut ? 'timeout' : r.ok ? 'ok' : 'failed';
          const row = await this.recorder.record({ ...base, startedAt, status, exit_code: r.exitCode ?? null, reason: r.ok ? null : 'check failed', output: r.output });
          incident.tried.push({ phase: 'diagnostic', hook: d.name, status, reason: row.reason, output: row.output });
        } finally {
          admission.release();
        }
      }),
    );
  }

  private async repair(event: AlertEvent, target: RepairTarget, incident: Incident, hooksToRun: RepairHookConfig[], haproxy: HaproxyConfig): Promise<void> {
    const cfg = this.opts.pipeline.hooks;
    const killed = killSwitchReason(cfg.kill_switch_env, cfg.kill_switch_file, this.env);
    const outcomes = new Map<string, string>();
    let previous: { hook: string; status: string } | null = null;
    // A hook skipped now (cooldown …) that ran earlier in this incident keeps that outcome for run_if.
    const skipped = (name: string) => incident.outcomes.get(name) ?? 'skipped';
    for (const hook of hooksToRun) {
      const dryRun = hook.dry_run ?? cfg.dry_run;
      const delayed = event.state === 'firing' && hook.delay_s > 0 ? await this.delay(incident, hook.delay_s) : null;
      const startedAt = Date.now();
      const runId = randomUUID();
      const base = { run_id: runId, alert_id: event.alert_id, phase: 'repair' as const, hook: hook.name, type: hook.type, target: target.label, dry_run: dryRun };
      const decidingHook = hook.run_if_of === undefined ? previous : { hook: hook.run_if_of, status: outcomes.get(hook.run_if_of) ?? 'skipped' };
      const skip = delayed ?? killed ?? evaluationsReason(hook.min_evaluations, event) ?? runIfReason(hook, decidingHook);
      if (skip) {
        await this.recorder.record({ ...base, startedAt, status: 'skipped', reason: skip });
        previous = { hook: hook.name, status: skipped(hook.name) };
        outcomes.set(hook.name, skipped(hook.name));
        continue;
      }
      const admission = this.repairGuard.admit(hook.name, this.guardKey(event.host, target.label), {
        cooldownS: hook.cooldown_s,
        maxRunsPerHour: hook.max_runs_per_hour,
        maxConcurrent: hook.max_concurrent,
      });
      if (!admission.admitted) {
        await this.recorder.record({ ...base, startedAt, status: 'skipped', reason: admission.reason });
        previous = { hook: hook.name, status: skipped(hook.name) };
        outcomes.set(hook.name, skipped(hook.name));
        continue;
      }
      let row;
      try {
        if (!dryRun && hook.type !== 'probe_backend') await this.recordStart({ ...base, startedAt });
        const outcome = await executeHook(hook, { alert: event, target, haproxy, runId, baseDir: this.opts.baseDir, dryRun, env: this.env });
        row = await this.recorder.record({ ...base, startedAt, status: outcome.status, exit_code: outcome.exitCode, reason: outcome.reason, output: outcome.output });
      } finally {
        admission.release();
      }
      previous = { hook: hook.name, status: row.status };
      outcomes.set(hook.name, row.status);
      incident.outcomes.set(hook.name, row.status);
      incident.tried.push({ phase: 'repair', hook: hook.name, status: row.status, reason: row.reason });
      incident.firstAttemptAt ??= startedAt;
      if (row.status !== 'dry_run' && hook.type !== 'probe_backend') incident.firstRepairAt ??= startedAt;
    }
    if (event.state === 'firing') this.watchRecovery(event, incident);
  }

  /**
   * A repair that acts is first recorded as started (phase `start`, status `started`), so that a
   * process dying while the hook runs leaves a row the next process's guardrails count. The
   * outcome row has the same run_id and replaces it (hook_runs is a ReplacingMergeTree by run_id).
   * A store that does not make the row durable within START_ROW_WAIT_MS does not stop the repair.
   */
  private async recordStart(run: Pick<RunRecord, 'run_id' | 'alert_id' | 'hook' | 'type' | 'target' | 'dry_run' | 'startedAt'>): Promise<void> {
    const stored = this.recorder.record({ ...run, phase: 'start', status: 'started' });
    // Repairs are rare (rate-limited): writing the open batches now beats waiting out store.batch_ms.
    this.opts.store?.flush().catch((err: Error) => log.warn({ err: err.message }, 'repair: store flush failed'));
    await withTimeout(stored, START_ROW_WAIT_MS, 'start row').catch((err: Error) => log.warn({ err: err.message, hook: run.hook }, 'repair acts before its start row is stored'));
  }

  /** Sleeps until `delaySeconds` after the alert first arrived; the reason to skip, or null. */
  private async delay(incident: Incident, delaySeconds: number): Promise<string | null> {
    const ms = incident.createdAt + delaySeconds * 1000 - Date.now();
    if (ms > 0 && !incident.resolved && !this.closed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          incident.wake.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        incident.wake.add(done);
      });
    }
    if (incident.resolved) return `alert resolved within delay_s (${delaySeconds} s)`;
    if (this.closed) return `dispatcher stopped during delay_s (${delaySeconds} s)`;
    return null;
  }

  private watchRecovery(event: AlertEvent, incident: Incident): void {
    const { verify } = this.opts.pipeline.hooks;
    if (!verify.enabled || incident.firstAttemptAt === null || incident.deadline || incident.resolved || incident.released || this.closed) return;
    const waitMs = Math.max(0, incident.firstAttemptAt + verify.deadline_s * 1000 - Date.now());
    incident.deadline = setTimeout(() => {
      incident.deadline = null;
      if (incident.resolved) return;
      const waited_s = Math.round((Date.now() - (incident.firstAttemptAt as number)) / 1000);
      this.track(
        this.recorder
          .record({
            alert_id: event.alert_id,
            phase: 'verify',
            hook: 'recovery',
            type: 'verify',
            target: `${event.backend ?? '-'}/${event.server ?? '-'}`,
            startedAt: incident.firstAttemptAt as number,
            status: 'failed',
            reason: `not recovered within ${verify.deadline_s} s of the first repair`,
            output: incident.tried.map((t) => `${t.phase} ${t.hook}: ${t.status}${t.reason ? ` (${t.reason})` : ''}`).join('\n'),
            dry_run: incident.firstRepairAt === null,
          })
          .then(() => {
            if (!this.opts.pipeline.notify.escalate) return;
            const n: Notification = { kind: 'escalation', pipeline: this.opts.pipeline.name, alert: event, tried: [...incident.tried], waited_s, server_status: this.serverStatus(event) };
            this.notifier.notify(n);
          }),
      );
    }, waitMs);
    incident.deadline.unref();
  }
}

/** `run_if` against the deciding hook's outcome; a dry run counts as either outcome, a skip (or a hook that did not apply) as neither. */
function runIfReason(hook: RepairHookConfig, previous: { hook: string; status: string } | null): string | null {
  if (hook.run_if === 'always' || previous === null || previous.status === 'dry_run') return null;
  if (previous.status === 'skipped') return `previous hook ${previous.hook} was skipped: its outcome is unknown (run_if ${hook.run_if})`;
  const ok = previous.status === 'ok';
  if (hook.run_if === 'previous_failed' && ok) return `previous hook ${previous.hook} succeeded (run_if previous_failed)`;
  if (hook.run_if === 'previous_ok' && !ok) return `previous hook ${previous.hook} ${previous.status} (run_if previous_ok)`;
  return null;
}
