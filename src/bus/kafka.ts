import { Kafka, logLevel, type Consumer, type SASLOptions, type LogEntry } from 'kafkajs';
import type { Bus, BusRecord, CommitOffset, ConsumeOptions, OutgoingMessage, Subscription, TopicPartition, TopicSpec } from './bus.js';
import type { KafkaConfig } from '../config/bus.js';
import { kafkaBrokers } from './brokers.js';
import { kafkajsProducer, platformaticProducer, type BatchProducer, type TopicBatch } from './producers.js';
import { useSizedGzipInflate } from './kafkajs-gzip.js';
import { ConfigError } from '../config/errors.js';
import { log } from '../observe/log.js';
import { metrics } from '../observe/metrics.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The fleet bus: Kafka through kafkajs.
 *
 * Producer (kafkajs or @platformatic/kafka, `bus.kafka.client`, see producers.ts): idempotent,
 * acks=all, gzip (or none). publish() calls are coalesced into batches that are sent once they
 * hold `batch_max_bytes` or waited `linger_ms`, one batch at a time (idempotent producers are
 * only safe with one request in flight). A failed send is
 * retried with exponential backoff until it succeeds or the bus is closed, on a fresh producer
 * (new producer id, so stale sequence numbers cannot wedge it); publish() resolves only when the
 * broker acknowledged its messages, so a caller that waits is paused while Kafka is down.
 *
 * Consumer: eachBatch with auto-commit and auto-resolve off; the offset after a batch is
 * committed only once onBatch resolved (with `manualCommit`, only through Subscription.commit;
 * an `ephemeral` reader commits nothing and deletes its group on stop); a rejected onBatch is
 * retried (same records) after a backoff while heartbeats keep the membership. Assignments come from kafkajs' GROUP_JOIN
 * instrumentation event (the member's new assignment after every rebalance): the difference
 * with the previous one gives onRevoked and onAssigned, which run in order before the next
 * batch is handed over. kafkajs does not await event listeners, so onRevoked runs just after
 * the rejoin rather than before it: state flushed there may reach a new owner a moment late;
 * processors stay correct because offsets are committed per batch (at-least-once).
 */

const sendSeconds = metrics.histogram('breakwater_bus_send_seconds', 'Time from a Kafka producer batch being sent to its acknowledgement (acks=all).', ['bus']);
const sendErrors = metrics.counter('breakwater_bus_send_errors_total', 'Failed Kafka sends (each retried until it succeeds).', ['bus']);
const sentMessages = metrics.counter('breakwater_bus_messages_sent_total', 'Messages acknowledged by the bus, by topic.', ['topic']);


const TRANSIENT_KAFKAJS_ERRORS = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSNumberOfRetriesExceeded', 'KafkaJSTimeout']);

/** kafkajs marks protocol errors it would retry (unknown topic or partition, no leader yet…); connection trouble is transient too. */
export function isTransientKafkaError(err: unknown): boolean {
  const e = err as { name?: string; retriable?: boolean };
  return e.retriable === true || TRANSIENT_KAFKAJS_ERRORS.has(e.name ?? '');
}

/**
 * Upper bound of a record's framing in a v2 record batch (length, attributes, timestamp and
 * offset deltas, key and value lengths, header count), counted into batch_max_bytes: a batch of
 * one key lands on one partition, and values plus framing must fit the broker's
 * message.max.bytes (default 1 MiB + 12), or the broker refuses it at every retry.
 */
const RECORD_FRAMING_BYTES = 32;

function byteLength(value: string | Buffer): number {
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

interface Pending {
  topic: string;
  messages: OutgoingMessage[];
  bytes: number;
  resolve(): void;
  reject(err: Error): void;
}

function saslOptions(config: KafkaConfig, env: NodeJS.ProcessEnv): SASLOptions | undefined {
  if (!config.sasl_mechanism) return undefined;
  if (!config.sasl_username) throw new ConfigError('bus.kafka.sasl_username: required when bus.kafka.sasl_mechanism is set');
  const varName = config.sasl_password_env;
  const password = varName ? env[varName] : undefined;
  if (!varName || password === undefined) {
    throw new ConfigError(`bus.kafka.sasl_password_env: name an environment variable that is set (got ${varName ?? 'nothing'})`);
  }
  return { mechanism: config.sasl_mechanism, username: config.sasl_username, password } as SASLOptions;
}

function kafkaLogger() {
  const child = log.child({ component: 'kafkajs' });
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      // Retries are ours to bound: the warning about limited idempotent retries is expected.
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      if (level === logLevel.ERROR) child.error(rest, message);
      else if (level === logLevel.WARN) child.warn(rest, message);
      else if (level === logLevel.INFO) child.debug(rest, message);
      else child.trace(rest, message);
    };
}

export class KafkaBus implements Bus {
  private readonly kafka: Kafka;
  private producer: BatchProducer | null = null;
  private readonly brokers: string[];
  private readonly sasl: SASLOptions | undefined;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private lingerTimer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  private closed = false;
  private readonly subscriptions = new Set<Subscription>();

  constructor(
    private readonly config: KafkaConfig,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const brokers = kafkaBrokers(config, env);
    if (brokers.length === 0) throw new ConfigError('bus.kafka.brokers: no Kafka broker configured (set KAFKA_BROKERS or bus.kafka.brokers)');
    this.brokers = brokers;
    this.sasl = saslOptions(config, env);
    useSizedGzipInflate();
    this.kafka = new Kafka({
      clientId: config.client_id,
      brokers,
      ssl: config.ssl,
      sasl: this.sasl,
      connectionTimeout: config.connection_timeout_ms,
      requestTimeout: config.request_timeout_ms,
      retry: { initialRetryTime: config.retry_initial_ms, maxRetryTime: config.retry_max_ms, retries: 5 },
      logLevel: logLevel.INFO,
      logCreator: kafkaLogger,
    });
  }

  /** Topic names on the cluster carry `topic_prefix`; callers only see the contract names. */
  private onCluster(topic: string): string {
    return this.config.topic_prefix + topic;
  }

  private fromCluster(topic: string): string {
    return topic.startsWith(this.config.topic_prefix) ? topic.slice(this.config.topic_prefix.length) : topic;
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    // A broker that is down or still electing leaders, or another process creating the same
    // topics at the same moment (two processors starting together), is waited out, not fatal.
    for (let attempt = 1, delay = this.config.retry_initial_ms; ; attempt++, delay = Math.min(delay * 2, this.config.retry_max_ms)) {
      try {
        await this.createMissingTopics(specs);
        break;
      } catch (err) {
        if (!isTransientKafkaError(err)) throw err;
        log.warn({ err: (err as Error).message, attempt, retry_in_ms: delay }, 'bus: Kafka topics not ready; retrying');
        await sleep(delay);
      }
    }
    // @platformatic/kafka's first request blocks the event loop for up to a second (it sets itself
    // up): pay that at startup, before a shipper tails files, not mid-stream where the stall could
    // hide a rotation.
    if (this.config.client === 'platformatic') await this.connectedProducer();
  }

  private async createMissingTopics(specs: TopicSpec[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = specs.map((s) => ({ ...s, name: this.onCluster(s.name) })).filter((s) => !existing.has(s.name));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions ?? this.config.partitions,
          replicationFactor: s.replicationFactor ?? this.config.replication_factor,
          configEntries: s.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
        })),
      });
      log.info({ topics: missing.map((s) => s.name) }, 'created Kafka topics');
    } catch (err) {
      // Another shipper may have created it between list and create.
      if (!/already exists/i.test((err as Error).message)) throw err;
    } finally {
      await admin.disconnect();
    }
  }

  publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('Kafka bus is closed'));
    if (messages.length === 0) return Promise.resolve();
    // A call holding more than batch_max_bytes (a shipper's read chunk of JSON may) is queued in
    // parts of at most that size: one batch never exceeds it, whatever the callers send.
    const parts: Promise<void>[] = [];
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      const size = byteLength(m.value) + (m.key === null ? 0 : Buffer.byteLength(m.key)) + RECORD_FRAMING_BYTES;
      if (i > start && bytes + size > this.config.batch_max_bytes) {
        parts.push(this.enqueue(topic, messages.slice(start, i), bytes));
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    parts.push(this.enqueue(topic, start === 0 ? messages : messages.slice(start), bytes));
    return parts.length === 1 ? parts[0] : Promise.all(parts).then(() => undefined);
  }

  private enqueue(topic: string, messages: OutgoingMessage[], bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ topic: this.onCluster(topic), messages, bytes, resolve, reject });
      this.pendingBytes += bytes;
      if (this.pendingBytes >= this.config.batch_max_bytes) this.kick();
      else if (!this.lingerTimer && !this.sending) this.lingerTimer = setTimeout(() => this.kick(), this.config.linger_ms);
    });
  }

  /** Starts the send loop unless it runs. While a batch is in flight, new messages accumulate. */
  private kick(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    if (this.sending) return;
    this.sending = this.drain().finally(() => {
      this.sending = null;
      // A publish that arrived after drain() saw an empty queue set no timer: send it now.
      if (this.pending.length) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length) {
      const batch: Pending[] = [];
      let bytes = 0;
      while (this.pending.length && (batch.length === 0 || bytes + this.pending[0].bytes <= this.config.batch_max_bytes)) {
        const p = this.pending.shift()!;
        bytes += p.bytes;
        batch.push(p);
      }
      this.pendingBytes -= bytes;
      try {
        await this.sendWithRetry(batch);
        for (const p of batch) p.resolve();
      } catch (err) {
        // Only when closing: nothing will send what is left.
        for (const p of [...batch, ...this.pending]) p.reject(err as Error);
        this.pending = [];
        this.pendingBytes = 0;
      }
    }
  }

  private async sendWithRetry(batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic);
      if (list) for (const m of p.messages) list.push(m);
      else byTopic.set(p.topic, [...p.messages]);
    }
    const topicMessages: TopicBatch[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    let backoff = this.config.retry_initial_ms;
    for (let attempt = 1; ; attempt++) {
      if (this.closed && attempt > 1) throw new Error('Kafka bus closed before the batch was acknowledged');
      const done = sendSeconds.startTimer({ bus: 'kafka' });
      try {
        const producer = await this.connectedProducer();
        await producer.send(topicMessages);
        done();
        for (const t of topicMessages) sentMessages.inc({ topic: t.topic }, t.messages.length);
        if (attempt > 1) log.info({ attempt }, 'Kafka send succeeded after retries');
        return;
      } catch (err) {
        sendErrors.inc({ bus: 'kafka' });
        log.warn({ err: (err as Error).message, attempt, retry_in_ms: backoff }, 'Kafka send failed; retrying');
        await this.dropProducer();
        await sleep(backoff);
        backoff = Math.min(backoff * 2, this.config.retry_max_ms);
      }
    }
  }

  private async connectedProducer(): Promise<BatchProducer> {
    this.producer ??=
      this.config.client === 'platformatic'
        ? await platformaticProducer(this.config, this.brokers, this.sasl)
        : await kafkajsProducer(this.kafka, this.config);
    return this.producer;
  }

  private async dropProducer(): Promise<void> {
    const p = this.producer;
    this.producer = null;
    if (p) await p.close().catch(() => undefined);
  }

  async consume(options: ConsumeOptions): Promise<Subscription> {
    const consumer: Consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: this.config.session_timeout_ms,
      heartbeatInterval: this.config.heartbeat_interval_ms,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: this.config.retry_initial_ms, maxRetryTime: this.config.retry_max_ms, retries: Number.MAX_SAFE_INTEGER },
      ...(options.fetch?.maxBytesPerPartition ? { maxBytesPerPartition: options.fetch.maxBytesPerPartition } : {}),
      ...(options.fetch?.maxBytes ? { maxBytes: options.fetch.maxBytes } : {}),
    });
    const commitsAfterBatch = !options.manualCommit && !options.ephemeral;
    let assigned = new Map<string, TopicPartition>();
    let assignments: Promise<void> = Promise.resolve();
    const keyOf = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const next = new Map<string, TopicPartition>();
      for (const [clusterTopic, partitions] of Object.entries(payload.memberAssignment)) {
        const topic = this.fromCluster(clusterTopic);
        for (const partition of partitions) next.set(keyOf({ topic, partition }), { topic, partition });
      }
      const revoked = [...assigned].filter(([k]) => !next.has(k)).map(([, tp]) => tp);
      const added = [...next].filter(([k]) => !assigned.has(k)).map(([, tp]) => tp);
      assigned = next;
      assignments = assignments.then(async () => {
        if (revoked.length) await options.onRevoked?.(revoked);
        if (added.length) await options.onAssigned?.(added);
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics.map((t) => this.onCluster(t)), fromBeginning: options.fromBeginning ?? false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.fetch?.partitionsConsumedConcurrently ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (batch.messages.length === 0) return;
        await assignments;
        const topic = this.fromCluster(batch.topic);
        const records: BusRecord[] = batch.messages.map((m) => ({
          topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? m.key.toString() : null,
          value: m.value ?? Buffer.alloc(0),
        }));
        let backoff = this.config.retry_initial_ms;
        for (;;) {
          if (!isRunning() || isStale()) return;
          try {
            await options.onBatch(records);
            break;
          } catch (err) {
            log.warn({ err, group: options.groupId, topic: batch.topic, partition: batch.partition }, 'onBatch failed; redelivering after backoff');
            await sleep(backoff);
            backoff = Math.min(backoff * 2, this.config.retry_max_ms);
            await heartbeat();
          }
        }
        const last = batch.messages[batch.messages.length - 1].offset;
        resolveOffset(last);
        if (commitsAfterBatch) await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
        await heartbeat();
      },
    });
    let stopped = false;
    const subscription: Subscription = {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        this.subscriptions.delete(subscription);
        await consumer.disconnect();
        await assignments;
        const revoked = [...assigned.values()];
        assigned = new Map();
        if (revoked.length) await options.onRevoked?.(revoked);
        if (options.ephemeral) await this.deleteGroup(options.groupId);
      },
      // After stop, kafkajs drops commits (the consumer is not running): the next owner re-reads.
      commit: options.manualCommit
        ? async (offsets: CommitOffset[]) => {
            if (stopped || offsets.length === 0) return;
            await consumer.commitOffsets(offsets.map((o) => ({ topic: this.onCluster(o.topic), partition: o.partition, offset: (BigInt(o.offset) + 1n).toString() })));
          }
        : undefined,
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  private async deleteGroup(groupId: string): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([groupId]);
    } catch (err) {
      log.warn({ err: (err as Error).message, group: groupId }, 'could not delete a one-off consumer group');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Refuse new messages; what is pending gets one more attempt (not endless retries).
    this.closed = true;
    if (this.pending.length) this.kick();
    await this.sending;
    for (const s of [...this.subscriptions]) await s.stop();
    await this.dropProducer();
  }
}
