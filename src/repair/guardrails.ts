import { existsSync } from 'node:fs';
import type { AlertEvent } from '../detect/alert.js';

export interface Limits {
  cooldownS: number;
  maxRunsPerHour: number;
  maxConcurrent: number;
}

export type Admission = { admitted: true; release: () => void } | { admitted: false; reason: string };

const HOUR_MS = 3_600_000;

/**
 * Rate guardrails shared by every run of a dispatcher: a cooldown per hook and target, a
 * per-hook circuit breaker (runs per rolling hour, all targets together) and concurrency caps
 * (per hook and overall). A run is admitted or skipped at once, never queued: a storm of alerts
 * cannot build a backlog of repairs.
 */
export class Guardrails {
  private readonly lastRun = new Map<string, number>();
  private readonly hourly = new Map<string, number[]>();
  private readonly running = new Map<string, number>();
  private runningTotal = 0;

  constructor(
    private readonly maxConcurrentTotal: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts a run admitted before this process started (read back from hook_runs), so that its
   * cooldown and its place in the hourly breaker hold across a restart.
   */
  remember(hook: string, target: string, at: number): void {
    const key = `${hook}\u0000${target}`;
    if (at > (this.lastRun.get(key) ?? -Infinity)) this.lastRun.set(key, at);
    if (this.now() - at >= HOUR_MS) return;
    const runs = this.hourly.get(hook) ?? [];
    runs.push(at);
    this.hourly.set(hook, runs);
  }

  admit(hook: string, target: string, limits: Limits): Admission {
    const t = this.now();
    const running = this.running.get(hook) ?? 0;
    if (running >= limits.maxConcurrent) return { admitted: false, reason: `max concurrent runs of ${hook} reached (${limits.maxConcurrent})` };
    if (this.runningTotal >= this.maxConcurrentTotal) return { admitted: false, reason: `max concurrent hook runs reached (${this.maxConcurrentTotal})` };
    const key = `${hook}\u0000${target}`;
    const last = this.lastRun.get(key);
    if (last !== undefined && t - last < limits.cooldownS * 1000) {
      return { admitted: false, reason: `cooldown: ran for this target ${Math.round((t - last) / 1000)} s ago (cooldown ${limits.cooldownS} s)` };
    }
    const runs = (this.hourly.get(hook) ?? []).filter((at) => t - at < HOUR_MS);
    this.hourly.set(hook, runs);
    if (runs.length >= limits.maxRunsPerHour) return { admitted: false, reason: `circuit open: ${runs.length} runs in the last hour (max ${limits.maxRunsPerHour})` };
    runs.push(t);
    this.lastRun.set(key, t);
    this.running.set(hook, running + 1);
    this.runningTotal++;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.running.set(hook, (this.running.get(hook) ?? 1) - 1);
        this.runningTotal--;
      },
    };
  }
}

/** The global kill switch: an env var set to 1/true/yes, or a file that exists. Read on every alert. */
export function killSwitchReason(envName: string, file: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const v = (env[envName] ?? '').trim().toLowerCase();
  if (v === '1' || v === 'true' || v === 'yes') return `kill switch: ${envName}=${env[envName]}`;
  if (file && existsSync(file)) return `kill switch: ${file} exists`;
  return null;
}

/** Whether a hook applies to this alert at all (state and rule); not applying is not a skip. */
export function hookApplies(hook: { on: string[]; rules: string[] }, alert: AlertEvent): boolean {
  return hook.on.includes(alert.state) && (hook.rules.length === 0 || hook.rules.includes(alert.rule));
}

/** The alert must have held for N evaluations; an alert that does not say counts as one. */
export function evaluationsReason(minEvaluations: number, alert: AlertEvent): string | null {
  const held = alert.evaluations ?? 1;
  return held < minEvaluations ? `alert held ${held} evaluation(s), hook needs ${minEvaluations}` : null;
}
