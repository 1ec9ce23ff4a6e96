import { z } from 'zod';

export const KafkaSchema = z
  .object({
    brokers: z
      .array(z.string().min(1))
      .default([])
      .describe('Bootstrap brokers (host:port). The KAFKA_BROKERS environment variable (comma-separated) takes precedence.'),
    client_id: z.string().min(1).default('breakwater').describe('Kafka client id (broker logs and quotas).'),
    topic_prefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, dot, underscore, dash')
      .default('')
      .describe('Prepended to every topic name on the cluster (`staging.` gives staging.haproxy.events): several pipelines or environments on one cluster. Shippers and processors must agree.'),
    ssl: z.boolean().default(false).describe('Connect with TLS.'),
    sasl_mechanism: z
      .enum(['plain', 'scram-sha-256', 'scram-sha-512'])
      .optional()
      .describe('SASL mechanism; absent: no SASL.'),
    sasl_username: z.string().optional().describe('SASL user name.'),
    sasl_password_env: z
      .string()
      .optional()
      .describe('Name of the environment variable holding the SASL password (never the password itself).'),
    partitions: z.number().int().min(1).default(6).describe('Partitions of topics the bus creates when they are missing.'),
    replication_factor: z.number().int().min(1).default(1).describe('Replication factor of topics the bus creates (3 on a production cluster).'),
    client: z
      .enum(['kafkajs', 'platformatic'])
      .default('kafkajs')
      .describe('Client library of the producer: kafkajs, or @platformatic/kafka (a quarter of the CPU per message of kafkajs uncompressed, half with gzip: see the shipping benchmark). Both are idempotent with acks=all and place keys on the same partitions; consumers and topic administration always use kafkajs.'),
    compression: z
      .enum(['gzip', 'none'])
      .default('gzip')
      .describe('Producer compression: gzip, or none (least CPU; for a broker on the same host or network). Snappy, lz4 and zstd are not offered: the consumers (kafkajs) cannot read them without extra codec packages.'),
    batch_max_bytes: z
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024)
      .describe('A producer batch is sent once it holds this many bytes of values …'),
    linger_ms: z.number().int().min(0).default(20).describe('… or once its oldest message waited this long.'),
    request_timeout_ms: z.number().int().positive().default(30_000).describe('Timeout of one broker request.'),
    connection_timeout_ms: z.number().int().positive().default(3000).describe('Timeout of connecting to a broker.'),
    retry_initial_ms: z.number().int().positive().default(300).describe('First backoff after a failed send or connect; doubles up to retry_max_ms.'),
    retry_max_ms: z.number().int().positive().default(10_000).describe('Longest backoff between retries of a send (sends are retried until they succeed).'),
    session_timeout_ms: z.number().int().positive().default(30_000).describe('Consumer group session timeout.'),
    heartbeat_interval_ms: z.number().int().positive().default(3000).describe('Consumer heartbeat interval.'),
  })
  .strict();

export const MemoryBusSchema = z
  .object({
    partitions: z.number().int().min(1).default(4).describe('Partitions per topic of the in-process bus (processing parallelism of embedded mode).'),
    max_lag: z
      .number()
      .int()
      .min(1)
      .default(20_000)
      .describe('Records a consumer group may lag on one partition before publishers wait (bounds memory).'),
    retain_without_consumers: z
      .number()
      .int()
      .min(0)
      .default(10_000)
      .describe('Records kept per partition while nothing consumes the topic.'),
  })
  .strict();

/** The `bus` section of a pipeline file: memory (embedded) or Kafka (fleet). */
export const BusSchema = z
  .object({
    type: z
      .enum(['auto', 'memory', 'kafka'])
      .default('auto')
      .describe('auto: Kafka when KAFKA_BROKERS is set or bus.kafka.brokers is not empty, else the in-process bus.'),
    kafka: KafkaSchema.prefault({}).describe('Kafka client, producer and topic settings.'),
    memory: MemoryBusSchema.prefault({}).describe('In-process bus settings (embedded mode).'),
  })
  .strict();

export type BusConfig = z.infer<typeof BusSchema>;
export type KafkaConfig = z.infer<typeof KafkaSchema>;
export type MemoryBusConfig = z.infer<typeof MemoryBusSchema>;
