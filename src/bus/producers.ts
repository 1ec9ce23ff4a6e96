import { CompressionTypes, type Kafka, type Producer as KafkajsProducerClient, type SASLOptions } from 'kafkajs';
import type { OutgoingMessage } from './bus.js';
import type { KafkaConfig } from '../config/bus.js';

/**
 * The producing half of the Kafka bus, one per client library (`bus.kafka.client`). Both are
 * idempotent with acks=all and one request in flight, and put a keyed message on the partition
 * Kafka's Java client would (murmur2 of the key, positive, modulo the partition count), so
 * shippers on either client feed the same per-key partitions. Batching, retries and producer
 * replacement after a failure stay in KafkaBus.
 */
export interface TopicBatch {
  topic: string;
  messages: OutgoingMessage[];
}

export interface BatchProducer {
  /** Resolves once the broker acknowledged every message (acks=all). */
  send(batches: TopicBatch[]): Promise<void>;
  close(): Promise<void>;
}

export async function kafkajsProducer(kafka: Kafka, config: KafkaConfig): Promise<BatchProducer> {
  const producer: KafkajsProducerClient = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const compression = config.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  return {
    send: async (batches) => {
      await producer.sendBatch({ topicMessages: batches, acks: -1, timeout: config.request_timeout_ms, compression });
    },
    close: () => producer.disconnect(),
  };
}

/**
 * @platformatic/kafka (pure TypeScript, loaded only when selected): about half of kafkajs' CPU
 * per message (bench:ship), which spends its time in a JavaScript CRC32C, a buffer per record
 * field, 64-bit Long arithmetic and the garbage those leave.
 */
export async function platformaticProducer(config: KafkaConfig, brokers: string[], sasl: SASLOptions | undefined): Promise<BatchProducer> {
  const { Producer, ProduceAcks, murmur2 } = await import('@platformatic/kafka');
  let roundRobin = 0;
  // A shipper sends few distinct keys (host|backend|server): their bytes and partition hash are
  // computed once, not per message.
  const keys = new Map<string, Buffer>();
  const hashes = new WeakMap<Buffer, number>();
  const keyBytes = (key: string): Buffer => {
    let bytes = keys.get(key);
    if (!bytes) {
      if (keys.size >= 10_000) keys.clear();
      bytes = Buffer.from(key);
      hashes.set(bytes, murmur2(bytes) & 0x7fffffff);
      keys.set(key, bytes);
    }
    return bytes;
  };
  const producer = new Producer({
    clientId: config.client_id,
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    compression: config.compression,
    // Kafka's Java client (and kafkajs' default partitioner): keyed messages by murmur2; the
    // producer takes the result modulo the partition count.
    partitioner: (_message, key) => (key ? (hashes.get(key) ?? murmur2(key) & 0x7fffffff) : roundRobin++ & 0x7fffffff),
    autocreateTopics: false,
    timeout: config.request_timeout_ms,
    connectTimeout: config.connection_timeout_ms,
    retries: 2,
    retryDelay: config.retry_initial_ms,
    ...(config.ssl ? { tls: {} } : {}),
    ...(sasl ? { sasl: { mechanism: sasl.mechanism.toUpperCase() as 'PLAIN', username: saslField(sasl, 'username'), password: saslField(sasl, 'password') } } : {}),
  });
  const close = () => new Promise<void>((resolve, reject) => producer.close(true, (err) => (err ? reject(err) : resolve())));
  try {
    await producer.initIdempotentProducer({});
  } catch (err) {
    // Its connections would stay open: KafkaBus retries with a new producer.
    await close().catch(() => undefined);
    throw err;
  }
  return {
    send: async (batches) => {
      const messages = [];
      for (const b of batches) {
        for (const m of b.messages) {
          messages.push({ topic: b.topic, key: m.key === null ? undefined : keyBytes(m.key), value: typeof m.value === 'string' ? Buffer.from(m.value) : m.value });
        }
      }
      await producer.send({ messages });
    },
    // Forced: after a failed send its connection may be half dead; KafkaBus opens a fresh producer.
    close,
  };
}

function saslField(sasl: SASLOptions, field: 'username' | 'password'): string {
  return (sasl as unknown as Record<string, string>)[field];
}
