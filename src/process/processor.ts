import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Bus, BusRecord, Subscription, TopicPartition } from '../bus/bus.js';
import { TOPICS } from '../bus/bus.js';
import type { Store } from '../store/store.js';
import type { AlertDispatcher, AlertEvent } from '../detect/alert.js';
import type { DetectorConfig } from '../config/detector.js';
import type { HaproxyEvent } from '../haproxy/event.js';
import { Detector } from '../detect/detector.js';
import { encodeSeries, restoreSeries } from '../detect/snapshot.js';
import { log } from '../observe/log.js';
import { metrics } from '../observe/metrics.js';
import type { StateStore } from './state.js';

const eventsIn = metrics.counter('breakwater_process_events_total', 'Events consumed by the processor (late ones included).', []);
const lateEvents = metrics.counter('breakwater_process_late_events_total', 'Events older than the watermark (stored, counted in the window when still possible).', []);
const badRecords = metrics.counter('breakwater_process_bad_records_total', 'haproxy.events records that were not a JSON event (skipped).', []);
const alertsOut = metrics.counter('breakwater_process_alerts_total', 'Alert lifecycle events raised, by state.', ['state']);
const seriesGauge = metrics.gauge('breakwater_process_series', 'Detector series tracked by this processor.', []);

/**
 * Pipelined mode hands a batch to the detector and the store this many records at a time, and
 * lets the event loop turn in between. A Kafka batch can hold 30 k events and kafkajs goes from
 * one batch to the next without yielding, so the store's I/O callbacks (spool written, insert
 * done) would wait until every fetched batch was parsed: the engine would insert only after the
 * main thread had finished, instead of alongside it (bench:process --timeline shows which).
 */
const CHUNK_RECORDS = 2000;

export interface ProcessorOptions {
  bus: Bus;
  store: Store;
  state: StateStore;
  detector: DetectorConfig;
  /** Consumer group: processors sharing it split the partitions of haproxy.events. */
  groupId: string;
  dispatcher?: AlertDispatcher | null;
  fromBeginning?: boolean;
  /** Topic names (default TOPICS.events / TOPICS.alerts; tests use unique ones). */
  eventsTopic?: string;
  alertsTopic?: string;
  /** Wall clock (tests). */
  now?: () => number;
  /** Told which series this processor gains and loses (the detectors of assigned and revoked partitions). */
  partitionListener?: PartitionListener | null;
}

export interface PartitionListener {
  /** After the assigned partitions' detector state is restored, before their records are processed. */
  assigned(detectors: Detector[]): Promise<unknown>;
  /** Before the revoked partitions' detectors are dropped. */
  revoked(detectors: Detector[]): unknown;
}

interface PartitionWork {
  detector: Detector;
  /** Records up to this offset are in the detector state (redeliveries are skipped). */
  appliedOffset: bigint;
  /** Offset the last saved state reflects (-1 before the first save). */
  savedOffset: bigint;
  /** Last offset this processor consumed (and issued writes for), and the last it committed. */
  consumedOffset: bigint;
  committedOffset: bigint;
  /** Wall-clock ms of the last record, and the event time the detector had then. */
  lastWallMs: number;
  lastEventMs: number;
  lastSaveMs: number;
  /** Serialises batches, idle ticks and save-point captures of one partition. */
  chain: Promise<void>;
  /** Store and alert writes issued and not yet durable, oldest first (pipelined mode). */
  unstored: Array<{ done: Promise<void>; events: number }>;
  unstoredEvents: number;
  /** Save points of this partition, in order. */
  saving: Promise<void>;
  /** A write that failed: nothing after it may be committed (the processor stalls loudly). */
  failure: Error | null;
}

/**
 * The stream processor: consumes haproxy.events in a consumer group, one detector per
 * partition (a series key lives in exactly one partition, the bus key being host|backend|server).
 * Every batch feeds the detector (skipping records already applied before a redelivery) and
 * writes the events (idempotent by event_id; late ones too) and alert lifecycle events to the
 * store, the alerts to breakwater.alerts and the dispatcher (notify, repair; never blocking).
 *
 * Two ways to make that durable before offsets are committed:
 *  - pipelined, on a bus with manual commits (Kafka): onBatch returns once the writes are
 *    issued, so the next batch is parsed and detected while the store inserts the previous
 *    ones (at most max_unstored_events waiting per partition). Every state_save_interval_s, and
 *    on revocation and shutdown, a save point waits for those writes, saves the series that
 *    changed since the last one (StateStore) and only then commits the offset it covers. A
 *    restart replays at most one interval, into the detector only past the saved offset.
 *  - per batch, on a bus that commits after onBatch (the memory bus of embedded mode): each
 *    onBatch resolves after its writes are durable and its changed series saved.
 * onAssigned restores the checkpoints of new partitions; onRevoked saves and drops them; both
 * tell the partitionListener (Kafka mode: the recovery deadlines of those partitions' incidents).
 */
export class Processor {
  private readonly partitions = new Map<number, PartitionWork>();
  private subscription: Subscription | null = null;
  private timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  private readonly eventsTopic: string;
  private readonly alertsTopic: string;
  readonly stats = { events: 0, late: 0, bad: 0, alerts: 0, batches: 0, savePoints: 0 };

  constructor(private readonly opts: ProcessorOptions) {
    this.now = opts.now ?? Date.now;
    this.eventsTopic = opts.eventsTopic ?? TOPICS.events;
    this.alertsTopic = opts.alertsTopic ?? TOPICS.alerts;
  }

  async start(): Promise<void> {
    const d = this.opts.detector;
    this.subscription = await this.opts.bus.consume({
      groupId: this.opts.groupId,
      topics: [this.eventsTopic],
      fromBeginning: this.opts.fromBeginning ?? true,
      manualCommit: true,
      fetch: { maxBytesPerPartition: d.fetch_max_bytes_per_partition, partitionsConsumedConcurrently: d.partitions_consumed_concurrently },
      onBatch: (records) => this.onBatch(records),
      onAssigned: (tps) => this.onAssigned(tps),
      onRevoked: (tps) => this.onRevoked(tps),
    });
    const idleMs = d.idle_advance_after_s * 1000;
    if (idleMs > 0) this.every(Math.min(1000, idleMs), () => this.advanceIdle(idleMs));
    const saveMs = d.state_save_interval_s * 1000;
    this.every(Math.min(1000, saveMs), () => this.saveDue(saveMs));
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    // Save and commit while still a member of the group; what arrives after is saved on revocation.
    await this.checkpoint().catch((err: Error) => log.error({ err: err.message }, 'processor: final save point failed'));
    await this.subscription?.stop();
    this.subscription = null;
  }

  /** A save point on every partition now: what was consumed is stored, its state saved and its offsets committed. */
  async checkpoint(): Promise<void> {
    await Promise.all([...this.partitions].map(([partition, work]) => this.savePoint(partition, work, true)));
  }

  /** Partitions this processor owns now. */
  owned(): number[] {
    return [...this.partitions.keys()].sort((a, b) => a - b);
  }

  detectorFor(partition: number): Detector | undefined {
    return this.partitions.get(partition)?.detector;
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  /** Offsets go to the bus at save points only when it commits on request (Kafka). */
  private get pipelined(): boolean {
    return typeof this.subscription?.commit === 'function';
  }

  private async onAssigned(tps: TopicPartition[]): Promise<void> {
    const mine = tps.filter((tp) => tp.topic === this.eventsTopic).map((tp) => tp.partition);
    if (mine.length === 0) return;
    const loaded = await this.opts.state.load(mine);
    for (const p of mine) {
      const detector = new Detector(this.opts.detector);
      const saved = loaded.get(p);
      let restored = 0;
      for (const doc of saved?.series ?? []) if (restoreSeries(detector, doc)) restored++;
      const offset = saved?.offset ? BigInt(saved.offset) : -1n;
      this.partitions.set(p, newWork(detector, offset, this.now()));
      log.info({ partition: p, restored, offset: saved?.offset ?? null }, 'processor: partition assigned');
    }
    this.updateGauge();
    await this.opts.partitionListener
      ?.assigned(mine.map((p) => this.partitions.get(p)!.detector))
      .catch((err: Error) => log.error({ err: err.message, partitions: mine }, 'processor: partition listener failed on assignment'));
  }

  private async onRevoked(tps: TopicPartition[]): Promise<void> {
    for (const tp of tps) {
      if (tp.topic !== this.eventsTopic) continue;
      const work = this.partitions.get(tp.partition);
      if (!work) continue;
      // No commit: the group has already moved on (the new owner re-reads from the last commit;
      // its detector skips what this saved state holds, the store dedups).
      await this.savePoint(tp.partition, work, false).catch((err: Error) => log.error({ err: err.message, partition: tp.partition }, 'processor: state not saved on revocation'));
      this.opts.partitionListener?.revoked([work.detector]);
      this.partitions.delete(tp.partition);
      log.info({ partition: tp.partition }, 'processor: partition revoked');
    }
    this.updateGauge();
  }

  private onBatch(records: BusRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const partition = records[0].partition;
    const work = this.partitions.get(partition) ?? this.adoptUnannounced(partition);
    const run = work.chain.then(() => this.processBatch(partition, work, records));
    work.chain = run.catch(() => undefined);
    return run;
  }

  /** A bus that delivers before announcing the assignment: start that partition empty. */
  private adoptUnannounced(partition: number): PartitionWork {
    const work = newWork(new Detector(this.opts.detector), -1n, this.now());
    work.lastEventMs = Number.NEGATIVE_INFINITY;
    this.partitions.set(partition, work);
    return work;
  }

  private async processBatch(partition: number, work: PartitionWork, records: BusRecord[]): Promise<void> {
    if (work.failure) throw work.failure;
    this.stats.batches++;
    if (!this.pipelined) {
      const { written } = await this.ingestAndWrite(work, records);
      await this.opts.store.flush();
      await written;
      await this.saveState(partition, work, work.appliedOffset, this.dirtyDocs(work));
      return;
    }
    for (let i = 0; i < records.length; i += CHUNK_RECORDS) {
      await nextTurn();
      const { written, events } = await this.ingestAndWrite(work, records.slice(i, i + CHUNK_RECORDS));
      this.track(work, written, events);
      while (work.unstoredEvents > this.opts.detector.max_unstored_events && work.unstored.length > 0) {
        await this.opts.store.flush();
        await work.unstored[0].done;
      }
    }
  }

  /**
   * Feeds the records to the detector and issues their store and alert writes. Resolves once the
   * alerts are dispatched, to those writes (wrapped, so that awaiting does not wait for them).
   */
  private async ingestAndWrite(work: PartitionWork, records: BusRecord[]): Promise<{ written: Promise<void>; events: number }> {
    const events = this.ingest(work, records);
    const stored = this.opts.store.insertEvents(events);
    const alerts = await this.writeAlerts(work.detector.drainAlerts());
    return { written: Promise.all([stored, alerts.written]).then(() => undefined), events: events.length };
  }

  /** Parses the records and feeds the detector; returns the events to store. */
  private ingest(work: PartitionWork, records: BusRecord[]): HaproxyEvent[] {
    const events: HaproxyEvent[] = [];
    // Offsets rise within a batch: only a batch starting at or before appliedOffset holds redeliveries.
    const redelivered = BigInt(records[0].offset) <= work.appliedOffset;
    for (const r of records) {
      let e: HaproxyEvent;
      try {
        e = JSON.parse(r.value.toString()) as HaproxyEvent;
      } catch {
        this.stats.bad++;
        badRecords.inc();
        continue;
      }
      if (typeof e?.timestamp !== 'string') {
        this.stats.bad++;
        badRecords.inc();
        continue;
      }
      // Stable across redeliveries when the shipper did not set one.
      e.event_id ??= `${r.topic}:${r.partition}:${r.offset}`;
      events.push(e);
      if (redelivered && BigInt(r.offset) <= work.appliedOffset) continue;
      if (work.detector.ingest(e)) {
        this.stats.late++;
        lateEvents.inc();
      }
    }
    const last = BigInt(records[records.length - 1].offset);
    if (last > work.appliedOffset) work.appliedOffset = last;
    work.consumedOffset = last;
    work.lastWallMs = this.now();
    work.lastEventMs = work.detector.eventTime;
    this.stats.events += events.length;
    eventsIn.inc({}, events.length);
    return events;
  }

  /** Remembers a write until it is durable; a failed one stops later commits of the partition. */
  private track(work: PartitionWork, done: Promise<void>, events: number): void {
    const entry = { done, events };
    work.unstored.push(entry);
    work.unstoredEvents += events;
    done.then(
      () => {
        work.unstored.splice(work.unstored.indexOf(entry), 1);
        work.unstoredEvents -= events;
      },
      (err: Error) => {
        work.failure ??= err;
        log.error({ err: err.message }, 'processor: a store or bus write failed; offsets stay uncommitted from here (restart to replay)');
      },
    );
  }

  /**
   * Dispatch first (the repair dispatcher sets time_to_recover_ms on resolved events), then
   * issue the durable writes: the store's alerts table and breakwater.alerts. Resolves (once
   * dispatched) to the promise of those writes, wrapped so that awaiting does not wait for them.
   */
  private async writeAlerts(alerts: AlertEvent[]): Promise<{ written: Promise<void> }> {
    if (alerts.length === 0) return { written: Promise.resolve() };
    for (const a of alerts) {
      try {
        await this.opts.dispatcher?.dispatch(a);
      } catch (err) {
        log.error({ err: (err as Error).message, alert_id: a.alert_id }, 'processor: dispatcher failed');
      }
      log.info({ alert_id: a.alert_id, state: a.state, rule: a.rule, host: a.host, backend: a.backend, server: a.server }, a.summary);
      alertsOut.inc({ state: a.state });
    }
    this.stats.alerts += alerts.length;
    const writes = alerts.map((a) => this.opts.store.insertAlert(a));
    writes.push(
      this.opts.bus.publish(
        this.alertsTopic,
        alerts.map((a) => ({ key: `${a.host ?? '-'}|${a.backend ?? '-'}|${a.server ?? '-'}`, value: JSON.stringify(a) })),
      ),
    );
    return { written: Promise.all(writes).then(() => undefined) };
  }

  private dirtyDocs(work: PartitionWork): Array<{ key: string; doc: string }> {
    const d = work.detector;
    return d.drainDirty().map((key) => ({ key, doc: encodeSeries(d.get(key)!, d.layout.ring, d.eventTime) }));
  }

  private async saveState(partition: number, work: PartitionWork, offset: bigint, docs: Array<{ key: string; doc: string }>): Promise<void> {
    if (docs.length === 0 && offset === work.savedOffset) return;
    await this.opts.state.save(partition, offset.toString(), docs);
    if (offset > work.savedOffset) work.savedOffset = offset;
    work.lastSaveMs = this.now();
    this.stats.savePoints++;
  }

  /**
   * A save point: after the partition's current batch, capture the offset and the changed
   * series (a consistent snapshot), then wait for every write issued so far, save the state
   * and, when `commit`, commit that offset. Save points of a partition run in order.
   */
  private savePoint(partition: number, work: PartitionWork, commit: boolean): Promise<void> {
    const captured = work.chain.then(() => {
      work.lastSaveMs = this.now();
      return { offset: work.appliedOffset, consumed: work.consumedOffset, docs: this.dirtyDocs(work), writes: work.unstored.map((u) => u.done) };
    });
    work.chain = captured.then(() => undefined);
    const run = work.saving.then(async () => {
      const { offset, consumed, docs, writes } = await captured;
      await this.opts.store.flush();
      await Promise.all(writes);
      if (work.failure) throw work.failure;
      await this.saveState(partition, work, offset, docs);
      // Everything consumed is stored and in the saved state (offset >= consumed): commit it.
      if (!commit || consumed <= work.committedOffset || !this.subscription?.commit) return;
      await this.subscription.commit([{ topic: this.eventsTopic, partition, offset: consumed.toString() }]);
      work.committedOffset = consumed;
    });
    work.saving = run.catch(() => undefined);
    return run;
  }

  private saveDue(intervalMs: number): void {
    if (!this.pipelined) return;
    const now = this.now();
    for (const [partition, work] of this.partitions) {
      if (now - work.lastSaveMs < intervalMs || (work.appliedOffset === work.savedOffset && work.consumedOffset <= work.committedOffset)) continue;
      this.savePoint(partition, work, true).catch((err: Error) => log.error({ err: err.message, partition }, 'processor: save point failed'));
    }
  }

  /**
   * Event time stands still on a partition that receives nothing; after idle_advance_after_s of
   * wall-clock silence it follows the wall clock, so open alerts can resolve.
   */
  private advanceIdle(idleMs: number): void {
    const now = this.now();
    for (const [partition, work] of this.partitions) {
      if (now - work.lastWallMs < idleMs || !Number.isFinite(work.lastEventMs)) continue;
      work.chain = work.chain
        .then(async () => {
          work.detector.advanceTo(work.lastEventMs + (this.now() - work.lastWallMs));
          const alerts = work.detector.drainAlerts();
          if (alerts.length === 0) return;
          const { written } = await this.writeAlerts(alerts);
          if (this.pipelined) return this.track(work, written, 0);
          await this.opts.store.flush();
          await written;
          await this.saveState(partition, work, work.appliedOffset, this.dirtyDocs(work));
        })
        .catch((err: Error) => log.error({ err: err.message, partition }, 'processor: idle advance failed'));
    }
  }

  private updateGauge(): void {
    let n = 0;
    for (const w of this.partitions.values()) n += w.detector.stats.series;
    seriesGauge.set({}, n);
  }
}

function newWork(detector: Detector, savedOffset: bigint, now: number): PartitionWork {
  return {
    detector,
    appliedOffset: savedOffset,
    savedOffset,
    consumedOffset: -1n,
    committedOffset: -1n,
    lastWallMs: now,
    lastEventMs: detector.eventTime,
    lastSaveMs: now,
    chain: Promise.resolve(),
    unstored: [],
    unstoredEvents: 0,
    saving: Promise.resolve(),
    failure: null,
  };
}
