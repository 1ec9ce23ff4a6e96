import type { AlertEvent } from '../../../src/detect/alert.js';
import type { HaproxyEvent } from '../../../src/haproxy/event.js';
import type { HookRunRow, QueryParams, RejectRow, ServerStatusRow, Store } from '../../../src/store/store.js';
import { PipelineSchema, type Pipeline } from '../../../src/config/pipeline.js';

/** A Store double for unit tests where the store is not under test: it records what it is given. */
export class RecordingStore implements Store {
  hookRuns: HookRunRow[] = [];
  serverStatus: ServerStatusRow[] = [];
  queries: Array<{ sql: string; params?: QueryParams }> = [];
  queryAnswer: Record<string, unknown>[] = [];

  async migrate(): Promise<string[]> {
    return [];
  }
  async insertEvents(_events: HaproxyEvent[]): Promise<void> {}
  async insertRejects(_rows: RejectRow[]): Promise<void> {}
  async insertAlert(_alert: AlertEvent): Promise<void> {}
  async insertHookRun(run: HookRunRow): Promise<void> {
    this.hookRuns.push(run);
  }
  async insertServerStatus(rows: ServerStatusRow[]): Promise<void> {
    this.serverStatus.push(...rows);
  }
  async query<T>(sql: string, params?: QueryParams): Promise<T[]> {
    this.queries.push({ sql, params });
    return this.queryAnswer as T[];
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}

  runs(phase: string, hook?: string): HookRunRow[] {
    return this.hookRuns.filter((r) => r.phase === phase && (hook === undefined || r.hook === hook));
  }
}

let seq = 0;

export function alertEvent(over: Partial<AlertEvent> = {}): AlertEvent {
  const at = '2026-11-21T00:10:00.000Z';
  seq++;
  return {
    alert_id: `alert-${seq}`,
    state: 'firing',
    rule: 'conn_failures_above_normal',
    summary: 'app/web1: 40 connection failures per minute, normally 1',
    host: 'lb1',
    backend: 'app',
    server: 'web1',
    fired_at: at,
    resolved_at: null,
    at,
    observed: 40,
    baseline: 1,
    threshold: 8,
    observed_ratio: 0.4,
    baseline_ratio: 0.01,
    requests: 100,
    first_seen: at,
    last_seen: at,
    samples: [],
    evaluations: 3,
    ...over,
  };
}

/** A parsed pipeline from a partial document (defaults applied by the real schema). */
export function pipeline(doc: Record<string, unknown>): Pipeline {
  return PipelineSchema.parse({ name: 'test', ...doc });
}
