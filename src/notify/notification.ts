import type { AlertEvent } from '../detect/alert.js';

/** What a repair run left for people to read: "restart_backend: failed (exit code 1)". */
export interface TriedStep {
  phase: 'diagnostic' | 'repair';
  hook: string;
  status: string;
  reason: string | null;
  /** Captured output (diagnostics, shown on escalation). */
  output?: string;
}

/** One message to send: an alert lifecycle event, or an escalation of a repaired alert that did not recover. */
export interface Notification {
  kind: 'firing' | 'resolved' | 'escalation';
  pipeline: string;
  alert: AlertEvent;
  tried: TriedStep[];
  /** Escalations: seconds since the first repair. */
  waited_s?: number;
}

export function where(a: AlertEvent): string {
  return `${a.host ?? '(any host)'} ${a.backend ?? '-'}/${a.server ?? '-'}`;
}

export function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio < 0.01 ? 2 : 1)}%`;
}

/** Single-quotes a value for a POSIX shell command line people copy from a message. */
export function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/** The `breakwater` commands that dig further into this alert. */
export function digFurther(a: AlertEvent): string[] {
  const out = ['breakwater alerts --since 6h'];
  if (a.backend && a.server) {
    out.push(
      'breakwater query --sql ' +
        shellQuote('SELECT status, termination_state, count() AS n FROM events WHERE backend = {backend:String} AND server = {server:String} AND timestamp > now() - INTERVAL 1 HOUR GROUP BY status, termination_state ORDER BY n DESC') +
        ` --param backend=${shellQuote(a.backend)} --param server=${shellQuote(a.server)}`,
    );
  }
  out.push(`breakwater query --sql ${shellQuote('SELECT started_at, phase, hook, status, reason FROM hook_runs WHERE alert_id = {id:String} ORDER BY started_at')} --param id=${shellQuote(a.alert_id)}`);
  return out;
}
