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
  /** What HAProxy's runtime API said of the server at the last poll (stats poller), if known. */
  server_status?: string;
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

/** The `breakwater` commands that dig further into this alert (saved queries in sql/queries/). */
export function digFurther(a: AlertEvent): string[] {
  const id = shellQuote(a.alert_id);
  const out = [`breakwater query incident_timeline --param alert_id=${id}`, `breakwater query termination_around_alert --param alert_id=${id}`];
  if (a.backend && a.server) out.push(`breakwater query request_mix --param backend=${shellQuote(a.backend)} --param server=${shellQuote(a.server)}`);
  out.push('breakwater alerts --since 6h');
  return out;
}
