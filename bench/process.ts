// npm run bench:process — the detector alone (events/s), JSON.parse + detector, its memory per
// tracked series at 100 k series, and (when a Kafka answers) each Kafka stage: consume only,
// processor without a store, processor with the store (end to end).
// Options: --events N (default 1e6 detector-only, 2e5 end to end), --series N (default 100000),
// --no-e2e, --concurrency N[,N…] (partitions consumed concurrently: the end-to-end stage runs once
// per value, A/B in the same minute). The end-to-end part uses the embedded store unless
// CLICKHOUSE_URL is set.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { detectorConfig } from '../src/config/detector.js';
import { Detector } from '../src/detect/detector.js';
import { eventKey, type HaproxyEvent } from '../src/haproxy/event.js';
import type { Store } from '../src/store/store.js';
import type { Bus } from '../src/bus/bus.js';
import { event, rng, T0 } from '../test/unit/detect/traffic.js';

const { values: opts } = parseArgs({
  options: {
    events: { type: 'string' },
    series: { type: 'string', default: '100000' },
    'no-e2e': { type: 'boolean', default: false },
    concurrency: { type: 'string' },
  },
});

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Traffic over `servers` series: 1 s of event time per `perSecond` events, 0.5 % failures. */
function makeEvents(n: number, servers: number, perSecond: number): HaproxyEvent[] {
  const random = rng(1);
  const out: HaproxyEvent[] = [];
  for (let i = 0; i < n; i++) {
    const s = Math.floor(random() * servers);
    // Through JSON, as the processor receives events: the fixture's spread-built objects are
    // dictionary-mode in V8 and would make the detector look slower than it is.
    const e = event(T0 + Math.floor((i / perSecond) * 1000), { host: `lb${s % 8}`, backend: `be${s % 50}`, server: `s${s}`, conn_failure: random() < 0.005, event_id: `b${i}` });
    out.push(JSON.parse(JSON.stringify(e)) as HaproxyEvent);
  }
  return out;
}

function detectorOnly(n: number): void {
  const events = makeEvents(n, 1000, 50_000);
  const d = new Detector(detectorConfig());
  const start = performance.now();
  for (const e of events) d.ingest(e);
  const s = (performance.now() - start) / 1000;
  console.log(`detector alone: ${n} events over 1000 series in ${s.toFixed(2)} s = ${Math.round(n / s).toLocaleString('en')} events/s (alerts ${d.stats.alerts})`);
}

function memoryPerSeries(series: number): void {
  if (!gc) console.log('(run with node --expose-gc for exact memory figures)');
  const d = new Detector(detectorConfig());
  const before = heap();
  const random = rng(2);
  // Every series gets traffic over the whole window, and a failing line (so samples are kept).
  for (let sec = 0; sec < 12; sec++) {
    for (let s = 0; s < series; s++) {
      d.ingest(event(T0 + sec * 1000 + (s % 1000), { host: `lb-${s % 64}`, backend: `backend-${s % 500}`, server: `server-${s}`, conn_failure: sec === 0 || random() < 0.01 }));
    }
    d.drainDirty(); // as the processor does after each batch's checkpoint
  }
  const bytes = heap() - before;
  console.log(`memory: ${series.toLocaleString('en')} series tracked, ${(bytes / 2 ** 20).toFixed(1)} MiB = ${Math.round(bytes / series)} bytes per series (target <= 2048)`);
  if (d.stats.series !== series) throw new Error(`expected ${series} series, tracked ${d.stats.series}`);
}

/** JSON.parse of the serialized events + the detector: the processor's CPU per event without Kafka. */
function parseAndDetect(n: number): void {
  const buffers = makeEvents(n, 1000, 20_000).map((e) => Buffer.from(JSON.stringify(e)));
  const d = new Detector(detectorConfig());
  const start = performance.now();
  for (const b of buffers) d.ingest(JSON.parse(b.toString()) as HaproxyEvent);
  const s = (performance.now() - start) / 1000;
  console.log(`JSON.parse + detector: ${n} events in ${s.toFixed(2)} s = ${rate(n, s)} events/s`);
}

const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en');

/** A store that writes nothing: the processor's throughput without the store. */
class NullStore implements Store {
  readonly kind = 'none';
  async migrate() {
    return [];
  }
  async insertEvents() {}
  async insertRejects() {}
  async insertAlert() {}
  async insertHookRun() {}
  async insertServerStatus() {}
  async query<T>(): Promise<T[]> {
    return [];
  }
  async flush() {}
  async close() {}
}

/**
 * Kafka stages over one pre-published topic (6 partitions), each in its own consumer group from
 * the beginning: a bare consumer (fetch only), the processor without a store (fetch + JSON.parse
 * + detector + state save points), the processor with the store (end to end).
 */
async function kafkaStages(n: number): Promise<void> {
  const { kafkaBrokers, uniqueName } = await import('../test/support/services.js');
  let brokers: string[];
  try {
    brokers = await kafkaBrokers();
  } catch (err) {
    console.log(`Kafka stages: skipped (${(err as Error).message.split('.')[0]})`);
    return;
  }
  const { KafkaBus } = await import('../src/bus/kafka.js');
  const { KafkaSchema } = await import('../src/config/bus.js');
  const { Processor } = await import('../src/process/processor.js');
  const { BusStateStore } = await import('../src/process/state.js');
  const { openStore } = await import('../src/store/open.js');
  const { Kafka } = await import('kafkajs');
  const env = { KAFKA_BROKERS: brokers.join(',') };
  const topic = uniqueName('bench_events');
  const alerts = uniqueName('bench_alerts');
  const stateTopics: string[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'bw-bench-'));
  const database = uniqueName('bench');
  const kafka = KafkaSchema.parse({ partitions: 6 });
  const producer = new KafkaBus(kafka, env);
  const bus = new KafkaBus(kafka, env);
  const store = await openStore({ dataDir, config: { database } });
  const detector = detectorConfig({ idle_advance_after_s: 0 });
  const fetch = { maxBytesPerPartition: detector.fetch_max_bytes_per_partition, partitionsConsumedConcurrently: detector.partitions_consumed_concurrently };
  try {
    await producer.ensureTopics([{ name: topic, partitions: 6 }, { name: alerts, partitions: 1 }]);
    const events = makeEvents(n, 1000, 20_000);
    const t0 = performance.now();
    const chunks: Array<Promise<void>> = [];
    for (let i = 0; i < events.length; i += 5000) {
      chunks.push(producer.publish(topic, events.slice(i, i + 5000).map((e) => ({ key: eventKey(e), value: JSON.stringify(e) }))));
    }
    await Promise.all(chunks);
    const published = (performance.now() - t0) / 1000;
    console.log(`publish (setup, not a processor stage): ${n} events in ${published.toFixed(2)} s = ${rate(n, published)} events/s`);

    let consumed = 0;
    let start = performance.now();
    const sub = await bus.consume({ groupId: uniqueName('bench_bare'), topics: [topic], fromBeginning: true, ephemeral: true, fetch, onBatch: async (r) => void (consumed += r.length) });
    while (consumed < n) await new Promise((r) => setTimeout(r, 20));
    let s = (performance.now() - start) / 1000;
    await sub.stop();
    console.log(`Kafka consume only (fetch, no parsing; group join included): ${n} events in ${s.toFixed(2)} s = ${rate(n, s)} events/s`);

    const concurrency = opts.concurrency ? opts.concurrency.split(',').map(Number) : [detector.partitions_consumed_concurrently];
    const runs = [{ target: new NullStore() as Store, c: detector.partitions_consumed_concurrently }, ...concurrency.map((c) => ({ target: store as Store, c }))];
    for (const { target, c } of runs) {
      const group = uniqueName('bench_group');
      const stateTopic = uniqueName('bench_state');
      stateTopics.push(stateTopic);
      const state = await BusStateStore.open(bus, group, stateTopic);
      // The clock starts when the first batch is handed over (polling stats would start it late:
      // a busy processor starves the poller's timer while it works through the first batches).
      let firstBatchAt = 0;
      const timedBus: Bus = {
        publish: (t, m) => bus.publish(t, m),
        ensureTopics: (t) => bus.ensureTopics(t),
        close: () => bus.close(),
        consume: (o) => bus.consume({ ...o, onBatch: (r) => ((firstBatchAt ||= performance.now()), o.onBatch(r)) }),
      };
      const processor = new Processor({ bus: timedBus, store: target, state, detector: { ...detector, partitions_consumed_concurrently: c }, groupId: group, eventsTopic: topic, alertsTopic: alerts });
      start = performance.now();
      await processor.start();
      while (processor.stats.events < n) await new Promise((r) => setTimeout(r, 5));
      const first = firstBatchAt;
      const ingested = performance.now();
      await processor.checkpoint(); // everything stored, state saved, offsets committed
      const end = performance.now();
      await processor.stop();
      s = (end - first) / 1000;
      const what = target === store ? `end to end: Kafka → JSON.parse → detector → ${store.kind} store + state save points` : 'Kafka → JSON.parse → detector + state save points, no store';
      console.log(
        `${what} (1 processor, 6 partitions, ${c} consumed concurrently): ${n} events in ${s.toFixed(2)} s = ${rate(n, s)} events/s from the first batch to the last save point ` +
          `(all in the detector after ${((ingested - first) / 1000).toFixed(2)} s, the last save point ${((end - ingested) / 1000).toFixed(2)} s; ` +
          `startup: group join + state load ${((first - start) / 1000).toFixed(2)} s; batches ${processor.stats.batches}, save points ${processor.stats.savePoints})`,
      );
    }
  } finally {
    await store.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
    await store.close();
    await bus.close();
    await producer.close();
    const admin = new Kafka({ brokers, logLevel: 0 }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, alerts, ...stateTopics] }).catch(() => undefined);
    await admin.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2-core machine; rates scale with what else runs)`);
detectorOnly(Number(opts.events ?? 1_000_000));
parseAndDetect(Number(opts.events ?? 200_000));
memoryPerSeries(Number(opts.series));
if (!opts['no-e2e']) await kafkaStages(Number(opts.events ?? 200_000));
process.exit(0);
