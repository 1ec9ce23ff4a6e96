import type { Bus, BusRecord, ConsumeOptions, OutgoingMessage, Subscription, TopicPartition, TopicSpec } from './bus.js';
import { log } from '../observe/log.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The in-process bus of embedded mode. Same semantics as the Kafka bus, scaled down: topics
 * split into partitions by key hash, consumer groups share partitions among their members
 * (rebalanced when one joins or leaves), offsets committed only after onBatch resolves, a
 * rejected batch is redelivered after a backoff.
 *
 * Memory is bounded: a partition keeps only what its slowest active group has not consumed, and
 * publish waits while a group lags more than `maxLag` records on the partition it writes to
 * (backpressure up to the shipper). Without any active group a partition keeps its newest
 * `retainWithoutConsumers` records, so a processor starting a moment later still sees them.
 */
export interface MemoryBusOptions {
  /** Partitions of topics created implicitly or without a count. */
  partitions?: number;
  /** Records a group may lag on one partition before publish waits. */
  maxLag?: number;
  /** Records kept per partition while no group consumes the topic. */
  retainWithoutConsumers?: number;
  /** Largest batch handed to onBatch. */
  maxBatch?: number;
  /** Wait before redelivering a batch whose onBatch rejected. */
  retryBackoffMs?: number;
}

/** 32-bit FNV-1a: the partition of a key. Stable across processes and runs. */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

class Signal {
  private waiters: (() => void)[] = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }
}

class PartitionLog {
  /** Offset of records[0]. */
  base = 0;
  records: BusRecord[] = [];
  readonly appended = new Signal();
  readonly consumed = new Signal();

  get end(): number {
    return this.base + this.records.length;
  }

  read(from: number, max: number): BusRecord[] {
    const start = Math.max(from, this.base) - this.base;
    return this.records.slice(start, start + max);
  }

  dropBefore(offset: number): void {
    const n = Math.min(offset - this.base, this.records.length);
    if (n <= 0) return;
    this.records.splice(0, n);
    this.base += n;
  }
}

class Topic {
  private nextRoundRobin = 0;
  constructor(
    readonly name: string,
    readonly partitions: PartitionLog[],
  ) {}

  partitionOf(key: string | null): number {
    if (key === null) return this.nextRoundRobin++ % this.partitions.length;
    return keyHash(key) % this.partitions.length;
  }
}

const tpKey = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;

interface Worker {
  tp: TopicPartition;
  stopped: boolean;
  wake: Signal;
  done: Promise<void>;
}

class Member {
  readonly workers = new Map<string, Worker>();
  constructor(readonly options: ConsumeOptions) {}
}

class Group {
  readonly members: Member[] = [];
  readonly committed = new Map<string, number>();
  /** Rebalances run one at a time. */
  private rebalancing: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    private readonly bus: MemoryBus,
  ) {}

  subscribedTo(topic: string): boolean {
    return this.members.some((m) => m.options.topics.includes(topic));
  }

  rebalance(): Promise<void> {
    this.rebalancing = this.rebalancing.then(() => this.assign()).catch((err) => log.error({ err, group: this.id }, 'memory bus rebalance failed'));
    return this.rebalancing;
  }

  /** Round-robin of every subscribed partition over the members, in join order. */
  private async assign(): Promise<void> {
    const target = new Map<Member, TopicPartition[]>(this.members.map((m) => [m, []]));
    const topics = [...new Set(this.members.flatMap((m) => m.options.topics))].sort();
    let turn = 0;
    for (const name of topics) {
      const eligible = this.members.filter((m) => m.options.topics.includes(name));
      const topic = this.bus.topic(name);
      for (let p = 0; p < topic.partitions.length; p++) {
        target.get(eligible[turn++ % eligible.length])!.push({ topic: name, partition: p });
      }
    }
    const everyone = new Set([...target.keys(), ...this.bus.formerMembers(this)]);
    for (const member of everyone) {
      const keep = new Set((target.get(member) ?? []).map(tpKey));
      const revoked = [...member.workers.values()].filter((w) => !keep.has(tpKey(w.tp)));
      if (revoked.length === 0) continue;
      for (const w of revoked) {
        w.stopped = true;
        w.wake.notify();
      }
      await Promise.all(revoked.map((w) => w.done));
      for (const w of revoked) member.workers.delete(tpKey(w.tp));
      await member.options.onRevoked?.(revoked.map((w) => w.tp));
    }
    for (const [member, tps] of target) {
      const added = tps.filter((tp) => !member.workers.has(tpKey(tp)));
      if (added.length === 0) continue;
      await member.options.onAssigned?.(added);
      for (const tp of added) member.workers.set(tpKey(tp), this.startWorker(member, tp));
    }
  }

  private startWorker(member: Member, tp: TopicPartition): Worker {
    const worker: Worker = { tp, stopped: false, wake: new Signal(), done: Promise.resolve() };
    worker.done = this.work(member, worker);
    return worker;
  }

  private async work(member: Member, worker: Worker): Promise<void> {
    const partition = this.bus.topic(worker.tp.topic).partitions[worker.tp.partition];
    const key = tpKey(worker.tp);
    if (!this.committed.has(key)) this.committed.set(key, member.options.fromBeginning ? partition.base : partition.end);
    const { maxBatch, retryBackoffMs } = this.bus.settings;
    while (!worker.stopped) {
      const from = Math.max(this.committed.get(key)!, partition.base);
      const batch = partition.read(from, maxBatch);
      if (batch.length === 0) {
        await Promise.race([partition.appended.wait(), worker.wake.wait()]);
        continue;
      }
      try {
        await member.options.onBatch(batch);
      } catch (err) {
        log.warn({ err, group: this.id, ...worker.tp }, 'onBatch failed; redelivering after backoff');
        await Promise.race([sleep(retryBackoffMs), worker.wake.wait()]);
        continue;
      }
      this.committed.set(key, Number(batch[batch.length - 1].offset) + 1);
      this.bus.trim(worker.tp.topic, worker.tp.partition);
      partition.consumed.notify();
    }
  }
}


export class MemoryBus implements Bus {
  private readonly topics = new Map<string, Topic>();
  private readonly groups = new Map<string, Group>();
  /** Members that left, until their revocation ran. */
  private readonly leaving = new Map<Group, Set<Member>>();
  readonly settings: Required<MemoryBusOptions>;
  private closed = false;

  constructor(options: MemoryBusOptions = {}) {
    this.settings = {
      partitions: options.partitions ?? 4,
      maxLag: options.maxLag ?? 20_000,
      retainWithoutConsumers: options.retainWithoutConsumers ?? 10_000,
      maxBatch: options.maxBatch ?? 1000,
      retryBackoffMs: options.retryBackoffMs ?? 500,
    };
  }

  topic(name: string, partitions = this.settings.partitions): Topic {
    let t = this.topics.get(name);
    if (!t) {
      t = new Topic(name, Array.from({ length: Math.max(1, partitions) }, () => new PartitionLog()));
      this.topics.set(name, t);
    }
    return t;
  }

  formerMembers(group: Group): Member[] {
    return [...(this.leaving.get(group) ?? [])];
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    for (const s of specs) this.topic(s.name, s.partitions);
  }

  async publish(topicName: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new Error('memory bus is closed');
    const topic = this.topic(topicName);
    for (const m of messages) {
      const p = topic.partitionOf(m.key);
      const partition = topic.partitions[p];
      while (this.lagging(topicName, p)) {
        await partition.consumed.wait();
        if (this.closed) throw new Error('memory bus is closed');
      }
      partition.records.push({
        topic: topicName,
        partition: p,
        offset: String(partition.end),
        key: m.key,
        value: typeof m.value === 'string' ? Buffer.from(m.value) : m.value,
      });
      partition.appended.notify();
    }
    for (let p = 0; p < topic.partitions.length; p++) this.trim(topicName, p);
  }

  /** True while an active group lags too far behind on this partition. */
  private lagging(topic: string, partition: number): boolean {
    const log = this.topic(topic).partitions[partition];
    const key = tpKey({ topic, partition });
    for (const g of this.groups.values()) {
      if (!g.subscribedTo(topic)) continue;
      const committed = g.committed.get(key);
      if (committed !== undefined && log.end - committed >= this.settings.maxLag) return true;
    }
    return false;
  }

  trim(topic: string, partition: number): void {
    const log = this.topic(topic).partitions[partition];
    const key = tpKey({ topic, partition });
    const active = [...this.groups.values()].filter((g) => g.subscribedTo(topic));
    if (active.length === 0) {
      log.dropBefore(log.end - this.settings.retainWithoutConsumers);
      return;
    }
    // A group not yet started on this partition keeps everything it may still read.
    const offsets = active.map((g) => g.committed.get(key));
    if (offsets.some((o) => o === undefined)) return;
    log.dropBefore(Math.min(...(offsets as number[])));
  }

  async consume(options: ConsumeOptions): Promise<Subscription> {
    if (this.closed) throw new Error('memory bus is closed');
    for (const t of options.topics) this.topic(t);
    let group = this.groups.get(options.groupId);
    if (!group) {
      group = new Group(options.groupId, this);
      this.groups.set(options.groupId, group);
    }
    const g = group;
    const member = new Member(options);
    g.members.push(member);
    await g.rebalance();
    let stopped = false;
    return {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        g.members.splice(g.members.indexOf(member), 1);
        const leaving = this.leaving.get(g) ?? new Set<Member>();
        leaving.add(member);
        this.leaving.set(g, leaving);
        await g.rebalance();
        leaving.delete(member);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const g of this.groups.values()) {
      const members = [...g.members];
      g.members.length = 0;
      const leaving = this.leaving.get(g) ?? new Set<Member>();
      for (const m of members) leaving.add(m);
      this.leaving.set(g, leaving);
      await g.rebalance();
    }
    for (const t of this.topics.values()) for (const p of t.partitions) p.consumed.notify();
  }
}
