/**
 * The bus between shippers and processors. Two implementations: memory (embedded mode, one
 * process) and kafka (fleet mode). Topic names are a contract (DESIGN.md).
 */

export const TOPICS = {
  events: 'haproxy.events',
  rejects: 'haproxy.rejects',
  stats: 'haproxy.stats',
  alerts: 'breakwater.alerts',
} as const;

export interface OutgoingMessage {
  /** Partitioning key; for events `host|backend|server` (eventKey()). */
  key: string | null;
  value: string | Buffer;
}

export interface BusRecord {
  topic: string;
  partition: number;
  /** Kafka offset as a decimal string (memory bus: a running counter). */
  offset: string;
  key: string | null;
  value: Buffer;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface ConsumeOptions {
  /** Consumer group: processors sharing a group split the partitions. */
  groupId: string;
  topics: string[];
  fromBeginning?: boolean;
  /**
   * Records of one partition, in offset order. Offsets are committed only after the promise
   * resolves (at-least-once); a rejection pauses and redelivers the batch after a backoff.
   */
  onBatch(records: BusRecord[]): Promise<void>;
  /** Called before the first batch of newly assigned partitions (restore per-key state here). */
  onAssigned?(partitions: TopicPartition[]): Promise<void>;
  /** Called when partitions are taken away (flush and checkpoint state for them here). */
  onRevoked?(partitions: TopicPartition[]): Promise<void>;
  /**
   * The consumer commits nothing after onBatch: only what the caller passes to
   * `Subscription.commit` (a pipeline whose records become durable after onBatch resolved).
   * Buses that cannot do this leave `Subscription.commit` undefined and commit after onBatch.
   */
  manualCommit?: boolean;
  /** A one-off reader: it commits nothing and its group is deleted on stop (no empty groups left behind). */
  ephemeral?: boolean;
  /** Fetch tuning (Kafka; the memory bus ignores it). */
  fetch?: FetchOptions;
}

export interface FetchOptions {
  /** Most bytes fetched per partition per request (one onBatch holds at most this much). */
  maxBytesPerPartition?: number;
  /** Most bytes per fetch request over all partitions. */
  maxBytes?: number;
  /** Partitions whose onBatch may run at the same time (each partition stays in order). */
  partitionsConsumedConcurrently?: number;
}

/** `offset` is the last record whose effects are durable; consumption resumes after it. */
export interface CommitOffset extends TopicPartition {
  offset: string;
}

export interface Subscription {
  stop(): Promise<void>;
  /** With `manualCommit`, on buses that support it: commits these offsets for the group. */
  commit?(offsets: CommitOffset[]): Promise<void>;
}

export interface TopicSpec {
  name: string;
  partitions?: number;
  replicationFactor?: number;
  /** cleanup.policy=compact (detector state checkpoints). */
  compacted?: boolean;
}

export interface Bus {
  /** Resolves once the bus acknowledged every message (acks=all on Kafka). */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  consume(options: ConsumeOptions): Promise<Subscription>;
  /** Creates missing topics; existing ones are left as they are. */
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  close(): Promise<void>;
}
