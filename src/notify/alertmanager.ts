import { createHash } from 'node:crypto';
import type { Notification } from './notification.js';
import { percent } from './notification.js';

/** Alertmanager's webhook payload, version 4 (what existing alert consumers parse). */
export interface AlertmanagerPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: Array<{
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }>;
}

/** Alertmanager's zero time: an alert still firing has not ended. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** A stable 16-hex-digit hash of the sorted label set, like Alertmanager's fingerprint. */
export function fingerprint(labels: Record<string, string>): string {
  const h = createHash('sha256');
  for (const k of Object.keys(labels).sort()) h.update(`${k}\u00ff${labels[k]}\u00ff`);
  return h.digest('hex').slice(0, 16);
}

function quoteLabel(v: string): string {
  return JSON.stringify(v);
}

export function alertmanagerPayload(n: Notification, receiver: string, opts: { externalURL: string; severity: string }): AlertmanagerPayload {
  const a = n.alert;
  const status = n.kind === 'resolved' ? 'resolved' : 'firing';
  const labels: Record<string, string> = { alertname: a.rule, severity: opts.severity, pipeline: n.pipeline };
  if (a.host !== null) labels.host = a.host;
  if (a.backend !== null) labels.backend = a.backend;
  if (a.server !== null) labels.server = a.server;
  const annotations: Record<string, string> = {
    summary: a.summary,
    description: `${a.observed} failures per window (ratio ${percent(a.observed_ratio)}) against a normal of ${a.baseline} (${percent(a.baseline_ratio)}); threshold ${a.threshold}.`,
    alert_id: a.alert_id,
    observed: String(a.observed),
    baseline: String(a.baseline),
    threshold: String(a.threshold),
  };
  if (n.tried.length) annotations.repairs_tried = n.tried.filter((t) => t.phase === 'repair').map((t) => `${t.hook}: ${t.status}`).join(', ');
  if (n.server_status) annotations.server_status = n.server_status;
  if (a.time_to_recover_ms != null) annotations.time_to_recover_ms = String(a.time_to_recover_ms);
  if (n.kind === 'escalation') annotations.escalation = `not recovered ${n.waited_s ?? '?'} s after repair`;
  const base = opts.externalURL.replace(/\/+$/, '');
  const alert = {
    status,
    labels,
    annotations,
    startsAt: a.fired_at,
    endsAt: status === 'resolved' ? (a.resolved_at ?? a.at) : ZERO_TIME,
    generatorURL: base ? `${base}/alerts/${encodeURIComponent(a.alert_id)}` : '',
    fingerprint: fingerprint(labels),
  } as const;
  const groupLabels = { alertname: a.rule };
  return {
    version: '4',
    groupKey: `{}:{alertname=${quoteLabel(a.rule)}}`,
    truncatedAlerts: 0,
    status,
    receiver,
    groupLabels,
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: opts.externalURL,
    alerts: [alert],
  };
}
