import type { Bus } from '../bus/bus.js';
import { TOPICS } from '../bus/bus.js';
import type { NotifyConfig } from '../config/notify.js';
import type { HookRunRecorder } from '../repair/audit.js';
import { alertmanagerPayload } from './alertmanager.js';
import { slackMessage } from './slack.js';
import { postJson, type PostResult } from './post.js';
import type { Notification } from './notification.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** One destination of notifications. */
export interface Receiver {
  name: string;
  type: 'webhook' | 'slack' | 'bus';
  accepts(n: Notification): boolean;
  send(n: Notification): Promise<PostResult>;
}


export function buildReceivers(config: NotifyConfig, bus: Bus | null, env: NodeJS.ProcessEnv = process.env): Receiver[] {
  const post = { timeoutMs: config.timeout_ms, retries: config.retries, backoffMs: config.backoff_ms };
  const missing = (name: string): PostResult => ({ ok: false, status: null, attempts: 0, detail: `environment variable ${name} is not set` });
  /** A receiver POSTing `payload(n)` as JSON to the URL held by env var `urlEnv`. */
  const posting = (name: string, type: 'webhook' | 'slack', urlEnv: string, sendResolved: boolean, payload: (n: Notification) => unknown): Receiver => ({
    name,
    type,
    accepts: (n) => n.kind !== 'resolved' || sendResolved,
    send: async (n) => {
      const url = env[urlEnv];
      return url ? postJson(url, payload(n), post) : missing(urlEnv);
    },
  });
  const receivers: Receiver[] = [
    ...config.webhooks.map((w) =>
      posting(w.name, 'webhook', w.url_env, w.send_resolved, (n) => alertmanagerPayload(n, w.name, { externalURL: config.external_url, severity: config.severity })),
    ),
    ...config.slack.map((s) => posting(s.name, 'slack', s.webhook_url_env, s.send_resolved, slackMessage)),
  ];
  if (config.bus && bus) {
    receivers.push({
      name: TOPICS.alerts,
      type: 'bus',
      // The topic carries the alert lifecycle (firing, resolved); escalations are for people.
      accepts: (n) => n.kind !== 'escalation',
      send: async (n) => {
        const a = n.alert;
        let detail = '';
        for (let attempt = 1; attempt <= config.retries + 1; attempt++) {
          try {
            await bus.publish(TOPICS.alerts, [{ key: `${a.host ?? ''}|${a.backend ?? ''}|${a.server ?? ''}`, value: JSON.stringify({ ...a, pipeline: n.pipeline }) }]);
            return { ok: true, status: null, attempts: attempt, detail: `published to ${TOPICS.alerts}` };
          } catch (err) {
            detail = (err as Error).message;
            if (attempt <= config.retries) await sleep(config.backoff_ms * 2 ** (attempt - 1));
          }
        }
        return { ok: false, status: null, attempts: config.retries + 1, detail };
      },
    });
  }
  return receivers;
}

/**
 * Fans notifications out to receivers, each through its own bounded queue worked in order by
 * one worker: `notify()` returns at once, a slow or failing receiver delays only itself, and
 * when a queue is full its oldest notification is dropped (and recorded as skipped).
 */
export class Notifier {
  private readonly queues = new Map<Receiver, Notification[]>();
  private readonly workers = new Map<Receiver, Promise<void>>();

  constructor(
    private readonly receivers: Receiver[],
    private readonly recorder: HookRunRecorder,
    private readonly queueSize: number,
  ) {
    for (const r of receivers) this.queues.set(r, []);
  }

  notify(n: Notification): void {
    for (const r of this.receivers) {
      if (!r.accepts(n)) continue;
      const q = this.queues.get(r) as Notification[];
      q.push(n);
      if (q.length > this.queueSize) {
        const dropped = q.shift() as Notification;
        void this.recorder.record({
          alert_id: dropped.alert.alert_id,
          phase: 'notify',
          hook: r.name,
          type: r.type,
          target: r.name,
          startedAt: Date.now(),
          status: 'skipped',
          reason: `notification queue full (${this.queueSize}): dropped the oldest`,
          dry_run: false,
        });
      }
      if (!this.workers.has(r)) this.workers.set(r, this.drain(r));
    }
  }

  private async drain(r: Receiver): Promise<void> {
    const q = this.queues.get(r) as Notification[];
    try {
      for (let n = q.shift(); n; n = q.shift()) {
        const startedAt = Date.now();
        let result: PostResult;
        try {
          result = await r.send(n);
        } catch (err) {
          result = { ok: false, status: null, attempts: 1, detail: (err as Error).message };
        }
        await this.recorder.record({
          alert_id: n.alert.alert_id,
          phase: 'notify',
          hook: r.name,
          type: r.type,
          target: `${n.kind}`,
          startedAt,
          status: result.ok ? 'ok' : 'failed',
          exit_code: result.status,
          reason: result.ok ? null : result.detail,
          output: `${result.detail} (${result.attempts} attempt(s))`,
          dry_run: false,
        });
      }
    } finally {
      this.workers.delete(r);
    }
  }

  /** Resolves when every queued notification has been delivered or given up on. */
  async idle(): Promise<void> {
    while (this.workers.size) await Promise.all([...this.workers.values()]);
  }
}
