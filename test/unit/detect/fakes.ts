import type { AlertDispatcher, AlertEvent } from '../../../src/detect/alert.js';
import type { HaproxyEvent } from '../../../src/haproxy/event.js';
import type { Store } from '../../../src/store/store.js';

/** A Store that keeps rows in memory, idempotent by event_id like the real one. */
export class MemoryStore implements Store {
  readonly events = new Map<string, HaproxyEvent>();
  readonly alerts: AlertEvent[] = [];
  flushes = 0;
  async migrate() {
    return [];
  }
  async insertEvents(events: HaproxyEvent[]) {
    for (const e of events) this.events.set(e.event_id ?? JSON.stringify(e), e);
  }
  async insertRejects() {}
  async insertAlert(alert: AlertEvent) {
    this.alerts.push(alert);
  }
  async insertHookRun() {}
  async insertServerStatus() {}
  async query<T>(): Promise<T[]> {
    return [];
  }
  async flush() {
    this.flushes++;
  }
  async close() {}
}

export class RecordingDispatcher implements AlertDispatcher {
  readonly seen: AlertEvent[] = [];
  async dispatch(event: AlertEvent) {
    this.seen.push(event);
  }
  async close() {}
}

export async function until(cond: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
