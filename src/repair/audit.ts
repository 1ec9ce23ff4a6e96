import { randomUUID } from 'node:crypto';
import type { HookRunRow, HookRunStatus, Store } from '../store/store.js';
import { log } from '../observe/log.js';
import type { Redactor } from './redact.js';

export interface RunRecord {
  alert_id: string | null;
  phase: 'diagnostic' | 'repair' | 'notify' | 'verify' | 'start';
  hook: string;
  type: string;
  target: string;
  startedAt: number;
  status: HookRunStatus;
  exit_code?: number | null;
  reason?: string | null;
  output?: string;
  dry_run: boolean;
  run_id?: string;
}

/**
 * The audit trail: every attempt, skip and result becomes one hook_runs row (secrets redacted)
 * and one log line. A store failure is logged, never thrown: auditing must not stop a repair.
 */
export class HookRunRecorder {
  constructor(
    private readonly store: Store | null,
    private readonly redactor: Redactor,
  ) {}

  async record(r: RunRecord): Promise<HookRunRow> {
    const finished = Date.now();
    const row: HookRunRow = {
      run_id: r.run_id ?? randomUUID(),
      alert_id: r.alert_id,
      phase: r.phase,
      hook: r.hook,
      type: r.type,
      target: this.redactor.redact(r.target),
      started_at: new Date(r.startedAt).toISOString(),
      finished_at: new Date(finished).toISOString(),
      duration_ms: Math.max(0, finished - r.startedAt),
      status: r.status,
      exit_code: r.exit_code ?? null,
      reason: r.reason == null ? null : this.redactor.redact(r.reason),
      output: this.redactor.redact(r.output ?? ''),
      dry_run: r.dry_run,
    };
    const level = row.status === 'ok' || row.status === 'dry_run' || row.status === 'started' ? 'info' : 'warn';
    log[level](
      { alert_id: row.alert_id, phase: row.phase, hook: row.hook, type: row.type, target: row.target, status: row.status, reason: row.reason, duration_ms: row.duration_ms },
      `hook ${row.phase} ${row.hook} ${row.status}`,
    );
    if (this.store) {
      try {
        await this.store.insertHookRun(row);
      } catch (err) {
        log.error({ err: this.redactor.redact((err as Error).message), hook: row.hook }, 'cannot store hook run');
      }
    }
    return row;
  }
}
