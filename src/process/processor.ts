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
}

interface PartitionWork {
  detector: Detector;
  /** Records up to this offset are already in the detector state (redeliveries are skipped). */
  appliedOffset: bigint;
  lastOffset: string | null;
  /** Wall-clock ms of the last record, and the event time the detector had then. */
  lastWallMs: number;
  lastEventMs: number;
  /** Serialises batches and idle ticks of one partition. */
  chain: Promise<void>;
}

/**
 * The stream processor: consumes haproxy.events in a consumer group, one detector per
 * partition (a series key lives in exactly one partition, the bus key being host|backend|server),
 * and for every batch, before the bus commits its offsets:
 *   1. feeds the detector (skipping records already applied before a redelivery),
 *   2. stores the events (idempotent by event_id; late events too) and the alert lifecycle
 *      events, publishes those to breakwater.alerts,
 *   3. checkpoints the series the batch touched (StateStore),
 * then hands the alerts to the dispatcher (notify, repair), which never blocks the stream.
 * onAssigned restores the checkpoints of new partitions; onRevoked saves and drops them.
 */
export class Processor {
  private readonly partitions = new Map<number, PartitionWork>();
  private subscription: Subscription | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly eventsTopic: string;
  private readonly alertsTopic: string;
  readonly stats = { events: 0, late: 0, bad: 0, alerts: 0, batches: 0 };

  constructor(private readonly opts: ProcessorOptions) {
    this.now = opts.now ?? Date.now;
    this.eventsTopic = opts.eventsTopic ?? TOPICS.events;
    this.alertsTopic = opts.alertsTopic ?? TOPICS.alerts;
  }

  async start(): Promise<void> {
    this.subscription = await this.opts.bus.consume({
      groupId: this.opts.groupId,
      topics: [this.eventsTopic],
      fromBeginning: this.opts.fromBeginning ?? true,
      onBatch: (records) => this.onBatch(records),
      onAssigned: (tps) => this.onAssigned(tps),
      onRevoked: (tps) => this.onRevoked(tps),
    });
    const idleMs = this.opts.detector.idle_advance_after_s * 1000;
    if (idleMs > 0) {
      this.idleTimer = setInterval(() => this.advanceIdle(idleMs), Math.min(1000, idleMs));
      this.idleTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = null;
    await this.subscription?.stop();
    this.subscription = null;
  }

  /** Partitions this processor owns now. */
  owned(): number[] {
    return [...this.partitions.keys()].sort((a, b) => a - b);
  }

  detectorFor(partition: number): Detector | undefined {
    return this.partitions.get(partition)?.detector;
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
      this.partitions.set(p, {
        detector,
        appliedOffset: saved?.offset ? BigInt(saved.offset) : -1n,
        lastOffset: saved?.offset ?? null,
        lastWallMs: this.now(),
        lastEventMs: detector.eventTime,
        chain: Promise.resolve(),
      });
      log.info({ partition: p, restored, offset: saved?.offset ?? null }, 'processor: partition assigned');
    }
    this.updateGauge();
  }

  private async onRevoked(tps: TopicPartition[]): Promise<void> {
    for (const tp of tps) {
      if (tp.topic !== this.eventsTopic) continue;
      const work = this.partitions.get(tp.partition);
      if (!work) continue;
      await work.chain;
      await this.checkpoint(tp.partition, work);
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
    const work: PartitionWork = {
      detector: new Detector(this.opts.detector),
      appliedOffset: -1n,
      lastOffset: null,
      lastWallMs: this.now(),
      lastEventMs: Number.NEGATIVE_INFINITY,
      chain: Promise.resolve(),
    };
    this.partitions.set(partition, work);
    return work;
  }

  private async processBatch(partition: number, work: PartitionWork, records: BusRecord[]): Promise<void> {
    const events: HaproxyEvent[] = [];
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
      if (BigInt(r.offset) <= work.appliedOffset) continue;
      if (work.detector.ingest(e)) {
        this.stats.late++;
        lateEvents.inc();
      }
    }
    const last = records[records.length - 1].offset;
    if (BigInt(last) > work.appliedOffset) work.appliedOffset = BigInt(last);
    work.lastOffset = last;
    work.lastWallMs = this.now();
    work.lastEventMs = work.detector.eventTime;
    this.stats.events += events.length;
    this.stats.batches++;
    eventsIn.inc({}, events.length);

    const stored = this.opts.store.insertEvents(events);
    await this.flushAlerts(work.detector.drainAlerts(), stored);
    await this.checkpoint(partition, work);
  }

  /**
   * Dispatch first (the repair dispatcher sets time_to_recover_ms on resolved events), then make
   * the alerts durable: stored, published, before the caller saves state and commits.
   */
  private async flushAlerts(alerts: AlertEvent[], pending: Promise<void> = Promise.resolve()): Promise<void> {
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
    const writes: Array<Promise<void>> = [pending, ...alerts.map((a) => this.opts.store.insertAlert(a))];
    if (alerts.length) {
      writes.push(
        this.opts.bus.publish(
          this.alertsTopic,
          alerts.map((a) => ({ key: `${a.host ?? '-'}|${a.backend ?? '-'}|${a.server ?? '-'}`, value: JSON.stringify(a) })),
        ),
      );
    }
    const all = Promise.all(writes);
    await this.opts.store.flush();
    await all;
  }

  private async checkpoint(partition: number, work: PartitionWork): Promise<void> {
    const d = work.detector;
    const dirty = d.drainDirty();
    if (dirty.length === 0 && work.lastOffset === null) return;
    const docs = dirty.map((key) => ({ key, doc: encodeSeries(d.get(key)!, d.layout.ring, d.eventTime) }));
    await this.opts.state.save(partition, work.appliedOffset.toString(), docs);
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
          await this.flushAlerts(alerts);
          await this.checkpoint(partition, work);
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
