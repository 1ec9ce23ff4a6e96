import type { DetectorConfig } from '../config/detector.js';
import { detectorConfig } from '../config/detector.js';
import type { HaproxyEvent } from '../haproxy/event.js';
import type { AlertEvent } from './alert.js';
import { Detector, type DetectorStats } from './detector.js';

/** One incident as `backfill --json` lists it: its firing merged with its resolve, if any. */
export interface IncidentSummary {
  alert_id: string;
  rule: string;
  host: string | null;
  backend: string | null;
  server: string | null;
  fired_at: string;
  resolved_at: string | null;
  /** At firing: failures in the window, the expected failures, the threshold crossed. */
  observed: number;
  baseline: number;
  threshold: number;
  observed_ratio: number;
  baseline_ratio: number;
  summary: string;
}

export interface ReplayResult {
  /** Lifecycle events in the order they were raised. */
  alerts: AlertEvent[];
  incidents: IncidentSummary[];
  stats: DetectorStats;
}

/**
 * Runs the stream detector over archived events in event time (backfill): the same windows,
 * baselines and rules as `process`. `onAlert` sees each lifecycle event as it is raised (store
 * it, dispatch it); incidents still open when the input ends stay open (resolved_at null).
 */
export async function runDetectorOverEvents(
  events: AsyncIterable<HaproxyEvent> | Iterable<HaproxyEvent>,
  config: DetectorConfig = detectorConfig(),
  onAlert?: (alert: AlertEvent) => void | Promise<void>,
): Promise<ReplayResult> {
  const detector = new Detector(config);
  const alerts: AlertEvent[] = [];
  for await (const e of events) {
    detector.ingest(e);
    for (const a of detector.drainAlerts()) {
      alerts.push(a);
      await onAlert?.(a);
    }
  }
  return { alerts, incidents: summarizeIncidents(alerts), stats: { ...detector.stats } };
}

export function summarizeIncidents(alerts: AlertEvent[]): IncidentSummary[] {
  const byId = new Map<string, IncidentSummary>();
  for (const a of alerts) {
    const known = byId.get(a.alert_id);
    if (a.state === 'firing' || !known) {
      byId.set(a.alert_id, {
        alert_id: a.alert_id,
        rule: a.rule,
        host: a.host,
        backend: a.backend,
        server: a.server,
        fired_at: a.fired_at,
        resolved_at: a.resolved_at,
        observed: a.observed,
        baseline: a.baseline,
        threshold: a.threshold,
        observed_ratio: a.observed_ratio,
        baseline_ratio: a.baseline_ratio,
        summary: a.summary,
      });
    } else {
      known.resolved_at = a.resolved_at;
    }
  }
  return [...byId.values()];
}
