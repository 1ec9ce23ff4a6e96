import type { Bus, ConsumeOptions, OutgoingMessage, Subscription, TopicSpec } from '../bus/bus.js';

/**
 * A Bus that counts what was acknowledged per topic. `run` uses it to drain the in-process bus
 * at shutdown: the processor must have consumed every event the shipper got acknowledged
 * (and checkpointed past) before the process exits, or those events would be lost.
 */
export class CountingBus implements Bus {
  private readonly published = new Map<string, number>();

  constructor(private readonly inner: Bus) {}

  acknowledged(topic: string): number {
    return this.published.get(topic) ?? 0;
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    await this.inner.publish(topic, messages);
    this.published.set(topic, this.acknowledged(topic) + messages.length);
  }

  consume(options: ConsumeOptions): Promise<Subscription> {
    return this.inner.consume(options);
  }

  ensureTopics(topics: TopicSpec[]): Promise<void> {
    return this.inner.ensureTopics(topics);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
