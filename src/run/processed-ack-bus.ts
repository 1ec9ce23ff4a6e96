import type { Bus, ConsumeOptions, OutgoingMessage, Subscription, TopicSpec } from '../bus/bus.js';
import type { MemoryBus } from '../bus/memory.js';

/**
 * The in-process bus of `breakwater run`, made end-to-end at-least-once: a publish to a topic
 * that is consumed in this process resolves only once the consumers' onBatch (for the
 * processor: detector, store insert, state save) has finished with every record the topic held
 * after the append. The shipper advances its file checkpoint on that acknowledgement, so after
 * a crash (kill -9) reading resumes before anything that was not yet stored, as with Kafka.
 * Publishes to topics nobody here consumes (alerts, stats) resolve at once.
 */
export class ProcessedAckBus implements Bus {
  /** Per topic consumed here: per partition, the offset after the last record processed. */
  private readonly processed = new Map<string, number[]>();
  private waiters: Array<() => boolean> = [];

  constructor(private readonly inner: MemoryBus) {}

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    await this.inner.publish(topic, messages);
    const done = this.processed.get(topic);
    if (!done) return;
    const ends = this.inner.topic(topic).partitions.map((p) => p.end);
    const caughtUp = () => ends.every((end, p) => (done[p] ?? 0) >= end);
    if (caughtUp()) return;
    await new Promise<void>((resolve) =>
      this.waiters.push(() => {
        if (!caughtUp()) return false;
        resolve();
        return true;
      }),
    );
  }

  async consume(options: ConsumeOptions): Promise<Subscription> {
    for (const t of options.topics) if (!this.processed.has(t)) this.processed.set(t, []);
    return this.inner.consume({
      ...options,
      onBatch: async (records) => {
        await options.onBatch(records);
        for (const r of records) {
          const done = this.processed.get(r.topic)!;
          done[r.partition] = Math.max(done[r.partition] ?? 0, Number(r.offset) + 1);
        }
        this.waiters = this.waiters.filter((check) => !check());
      },
    });
  }

  ensureTopics(topics: TopicSpec[]): Promise<void> {
    return this.inner.ensureTopics(topics);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
