import type { Bus, OutgoingMessage, Subscription } from '../../../src/bus/bus.js';
import type { ParseResult } from '../../../src/haproxy/event.js';
import { newEvent } from '../../../src/haproxy/new-event.js';
import { SourcesSchema, type SourcesConfig } from '../../../src/config/sources.js';

/** Lines `ok <n>` parse (host h1, backend be, server s<n%3>, pid n); anything else is rejected. */
export function fakeParse(line: string): ParseResult {
  const m = /^ok (\d+)$/.exec(line);
  if (!m) return { ok: false, reject: { reason: 'not ok', raw: line } };
  const n = Number(m[1]);
  return { ok: true, event: Object.assign(newEvent(), { host: 'h1', backend: 'be', server: `s${n % 3}`, pid: n }) };
}

/** A bus that records what was published; publish can be held (gate) or made to fail. */
export class RecordingBus implements Bus {
  readonly published: { topic: string; message: OutgoingMessage }[] = [];
  failures = 0;
  private gate: Promise<void> | null = null;
  private release: (() => void) | null = null;
  pendingCalls = 0;

  hold(): void {
    this.gate = new Promise((r) => (this.release = r));
  }

  open(): void {
    this.release?.();
    this.gate = null;
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.pendingCalls++;
    try {
      if (this.gate) await this.gate;
      if (this.failures > 0) {
        this.failures--;
        throw new Error('broker down');
      }
      for (const message of messages) this.published.push({ topic, message });
    } finally {
      this.pendingCalls--;
    }
  }

  values(topic: string): Record<string, unknown>[] {
    return this.published.filter((p) => p.topic === topic).map((p) => JSON.parse(p.message.value.toString()));
  }

  async consume(): Promise<Subscription> {
    throw new Error('not used');
  }
  async ensureTopics(): Promise<void> {}
  async close(): Promise<void> {}
}

export function sources(over: Partial<SourcesConfig> & { files: string[]; checkpoint_file: string }): SourcesConfig {
  return SourcesSchema.parse({ poll_interval_ms: 20, rescan_interval_ms: 50, rotate_wait_ms: 200, checkpoint_interval_ms: 50, start_at: 'beginning', host: 'lb1', ...over });
}

export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
