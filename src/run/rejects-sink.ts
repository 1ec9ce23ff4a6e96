import type { Bus, Subscription } from '../bus/bus.js';
import { TOPICS } from '../bus/bus.js';
import type { RejectRow, Store } from '../store/store.js';
import { log } from '../observe/log.js';
import { metrics } from '../observe/metrics.js';

const stored = metrics.counter('breakwater_rejects_stored_total', 'Unparsable lines from haproxy.rejects written to the store.');

/**
 * Keeps haproxy.rejects in the store's `rejects` table: the lines the shipper could not parse,
 * with the reason, for `breakwater query` (what is the format we do not understand?). Offsets
 * are committed after the rows are flushed, so a crash re-inserts rather than loses.
 */
export class RejectsSink {
  private subscription: Subscription | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly store: Store,
    private readonly groupId: string,
    private readonly topic = TOPICS.rejects,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.consume({
      groupId: this.groupId,
      topics: [this.topic],
      fromBeginning: true,
      onBatch: async (records) => {
        const rows: RejectRow[] = [];
        for (const r of records) {
          try {
            const { received_at, host, source, raw_offset, reason, raw } = JSON.parse(r.value.toString()) as RejectRow;
            rows.push({ received_at, host, source, raw_offset, reason, raw });
          } catch {
            log.warn({ partition: r.partition, offset: r.offset }, 'haproxy.rejects: a record that is not JSON; skipped');
          }
        }
        if (rows.length === 0) return;
        await this.store.insertRejects(rows);
        await this.store.flush();
        stored.inc({}, rows.length);
      },
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = null;
  }
}
