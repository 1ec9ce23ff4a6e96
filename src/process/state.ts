import { randomUUID } from 'node:crypto';
import type { Bus } from '../bus/bus.js';

/** Compacted topic holding the detector checkpoints of every processor group. */
export const STATE_TOPIC = 'breakwater.detector-state';

/** What a processor saved for one partition of haproxy.events. */
export interface PartitionState {
  /** Offset of the last record whose effect is in the saved series (records up to it are not replayed into the detector). */
  offset: string | null;
  /** Series checkpoints (src/detect/snapshot.ts), the newest per series. */
  series: string[];
}

/**
 * Where per-partition detector state lives between processors. `save` resolves once the state
 * is durable; the processor commits offsets only after that.
 */
export interface StateStore {
  load(partitions: number[]): Promise<Map<number, PartitionState>>;
  save(partition: number, offset: string, series: Array<{ key: string; doc: string }>): Promise<void>;
}

/** In-process state (embedded mode, tests): survives partition moves, not restarts. */
export class MemoryStateStore implements StateStore {
  private readonly partitions = new Map<number, { offset: string | null; series: Map<string, string> }>();

  async load(partitions: number[]): Promise<Map<number, PartitionState>> {
    const out = new Map<number, PartitionState>();
    for (const p of partitions) {
      const s = this.partitions.get(p);
      out.set(p, { offset: s?.offset ?? null, series: s ? [...s.series.values()] : [] });
    }
    return out;
  }

  async save(partition: number, offset: string, series: Array<{ key: string; doc: string }>): Promise<void> {
    let s = this.partitions.get(partition);
    if (!s) this.partitions.set(partition, (s = { offset: null, series: new Map() }));
    s.offset = offset;
    for (const { key, doc } of series) s.series.set(key, doc);
  }
}

/**
 * State in the compacted topic breakwater.detector-state, through the Bus: one message per
 * series, key `GROUP|PARTITION|SERIES`, plus `GROUP|PARTITION|@offset` with the offset the
 * series reflect. Compaction keeps the newest message per key, so the topic stays about one
 * checkpoint per tracked series.
 *
 * Loading reads the topic from the beginning up to a marker this loader publishes first: the
 * topic has one partition, so everything written before the marker has been read when the
 * marker comes back. A reassigned partition is therefore restored with whatever its previous
 * owner saved before committing its last offsets. The reader is ephemeral: it commits nothing
 * and its one-off consumer group is deleted when it stops.
 */
export class BusStateStore implements StateStore {
  constructor(
    private readonly bus: Bus,
    private readonly group: string,
    private readonly topic = STATE_TOPIC,
    private readonly loadTimeoutMs = 120_000,
  ) {}

  static async open(bus: Bus, group: string, topic = STATE_TOPIC): Promise<BusStateStore> {
    await bus.ensureTopics([{ name: topic, partitions: 1, compacted: true }]);
    return new BusStateStore(bus, group, topic);
  }

  async save(partition: number, offset: string, series: Array<{ key: string; doc: string }>): Promise<void> {
    const prefix = `${this.group}|${partition}|`;
    const messages = series.map(({ key, doc }) => ({ key: prefix + key, value: doc }));
    messages.push({ key: `${prefix}@offset`, value: offset });
    await this.bus.publish(this.topic, messages);
  }

  async load(partitions: number[]): Promise<Map<number, PartitionState>> {
    const wanted = new Set(partitions);
    const found = new Map<number, { offset: string | null; series: Map<string, string> }>();
    for (const p of partitions) found.set(p, { offset: null, series: new Map() });
    const nonce = randomUUID();
    const markerKey = `${this.group}|@marker`;
    let finish!: () => void;
    const reachedMarker = new Promise<void>((resolve) => (finish = resolve));
    const sub = await this.bus.consume({
      groupId: `${this.group}.state-loader.${nonce}`,
      topics: [this.topic],
      fromBeginning: true,
      ephemeral: true,
      onBatch: async (records) => {
        for (const r of records) {
          const key = r.key ?? '';
          if (key === markerKey) {
            if (r.value.toString() === nonce) finish();
            continue;
          }
          if (!key.startsWith(`${this.group}|`)) continue;
          const rest = key.slice(this.group.length + 1);
          const bar = rest.indexOf('|');
          const partition = Number(rest.slice(0, bar));
          if (!wanted.has(partition)) continue;
          const seriesKey = rest.slice(bar + 1);
          const entry = found.get(partition)!;
          if (seriesKey === '@offset') entry.offset = r.value.toString();
          else entry.series.set(seriesKey, r.value.toString());
        }
      },
    });
    try {
      await this.bus.publish(this.topic, [{ key: markerKey, value: nonce }]);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`detector state: ${this.topic} not read within ${this.loadTimeoutMs} ms`)), this.loadTimeoutMs);
      });
      try {
        await Promise.race([reachedMarker, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      await sub.stop();
    }
    const out = new Map<number, PartitionState>();
    for (const [p, s] of found) out.set(p, { offset: s.offset, series: [...s.series.values()] });
    return out;
  }
}
