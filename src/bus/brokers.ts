import type { KafkaConfig } from '../config/bus.js';

/** Brokers from KAFKA_BROKERS (wins, comma-separated) or the config; empty when neither names any. */
export function kafkaBrokers(config: Pick<KafkaConfig, 'brokers'>, env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  return fromEnv.length ? fromEnv : config.brokers;
}
