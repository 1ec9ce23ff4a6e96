import type { Bus } from './bus.js';
import type { BusConfig } from '../config/bus.js';
import { BusSchema } from '../config/bus.js';
import { ConfigError } from '../config/errors.js';
import { MemoryBus } from './memory.js';
import { kafkaBrokers } from './brokers.js';
import { log } from '../observe/log.js';

export type BusKind = 'memory' | 'kafka';

/** Which bus a config selects: `auto` means Kafka when brokers are known (KAFKA_BROKERS or config). */
export function busKind(config: BusConfig, env: NodeJS.ProcessEnv = process.env): BusKind {
  if (config.type !== 'auto') return config.type;
  return kafkaBrokers(config.kafka, env).length ? 'kafka' : 'memory';
}

/** Opens the configured bus. kafkajs is loaded only when Kafka is used. */
export async function openBus(config: BusConfig = BusSchema.parse({}), env: NodeJS.ProcessEnv = process.env): Promise<Bus> {
  const kind = busKind(config, env);
  if (kind === 'memory') {
    log.debug('bus: in-process (memory)');
    return new MemoryBus({
      partitions: config.memory.partitions,
      maxLag: config.memory.max_lag,
      retainWithoutConsumers: config.memory.retain_without_consumers,
    });
  }
  if (kafkaBrokers(config.kafka, env).length === 0) {
    throw new ConfigError('bus.kafka.brokers: bus.type is kafka but no broker is configured (set KAFKA_BROKERS or bus.kafka.brokers)');
  }
  const { KafkaBus } = await import('./kafka.js');
  log.info({ brokers: kafkaBrokers(config.kafka, env) }, 'bus: Kafka');
  return new KafkaBus(config.kafka, env);
}
