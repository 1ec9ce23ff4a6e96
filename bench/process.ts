// npm run bench:process — the detector alone (events/s), JSON.parse + detector, its memory per
// tracked series at 100 k series, and (when a Kafka answers) each Kafka stage: consume only,
// processor without a store, processor with the store (end to end).
// Options: --events N (default 1e6 detector-only, 2e5 end to end), --series N (default 100000),
// --no-e2e, --kafka-only (skip the in-process stages), --concurrency N[,N…] (partitions consumed
// concurrently: the end-to-end stage runs once per value, A/B in the same minute), --compression
// gzip|none (how the events are published; gzip is the shippers' default), --store-batch-rows N
// (store.batch_rows of the end-to-end store), --timeline (CPU per thread group every 0.5 s of the
// end-to-end run: what overlaps). The end-to-end part uses the embedded store unless
// CLICKHOUSE_URL is set. Every stage prints its CPU µs per event by thread group (bench/thread-cpu.ts):
// on a shared machine those hold where events/s do not.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { detectorConfig } from '../src/config/detector.js';
import { Detector } from '../src/detect/detector.js';
import { eventKey, type HaproxyEvent } from '../src/haproxy/event.js';
import type { Store } from '../src/store/store.js';
import type { Bus } from '../src/bus/bus.js';
import { event, rng, T0 } from '../test/unit/detect/traffic.js';
import { cpuReport, cpuSample, cpuUse, type CpuSample, type CpuUse } from './thread-cpu.js';

const { values: opts } = parseArgs({
  options: {
    events: { type: 'string' },
    series: { type: 'string', default: '100000' },
    'no-e2e': { type: 'boolean', default: false },
    concurrency: { type: 'string' },
    'kafka-only': { type: 'boolean', default: false },
    compression: { type: 'string', default: 'gzip' },
    'store-batch-rows': { type: 'string' },
    timeline: { type: 'boolean', default: false },
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

/** Returns the main thread's CPU µs per event. */
function detectorOnly(n: number): number {
  const events = makeEvents(n, 1000, 50_000);
  const d = new Detector(detectorConfig());
  const cpu = cpuSample();
  const start = performance.now();
  for (const e of events) d.ingest(e);
  const s = (performance.now() - start) / 1000;
  const after = cpuSample();
  console.log(`detector alone: ${n} events over 1000 series in ${s.toFixed(2)} s = ${rate(n, s)} events/s (alerts ${d.stats.alerts}); ${cpuReport(cpu, after, n)}`);
  return cpuUse(cpu, after, n).perEvent.get('main') ?? 0;
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
function parseAndDetect(n: number): number {
  const buffers = makeEvents(n, 1000, 20_000).map((e) => Buffer.from(JSON.stringify(e)));
  const d = new Detector(detectorConfig());
  const cpu = cpuSample();
  const start = performance.now();
  for (const b of buffers) d.ingest(JSON.parse(b.toString()) as HaproxyEvent);
  const s = (performance.now() - start) / 1000;
  const after = cpuSample();
  console.log(`JSON.parse + detector: ${n} events in ${s.toFixed(2)} s = ${rate(n, s)} events/s; ${cpuReport(cpu, after, n)}`);
  return cpuUse(cpu, after, n).perEvent.get('main') ?? 0;
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

/** Publishes n events (in its own scope, so that they can be collected once published). */
async function publishEvents(producer: Bus, topic: string, n: number): Promise<void> {
  const events = makeEvents(n, 1000, 20_000);
  const chunks: Array<Promise<void>> = [];
  for (let i = 0; i < events.length; i += 5000) {
    chunks.push(producer.publish(topic, events.slice(i, i + 5000).map((e) => ({ key: eventKey(e), value: JSON.stringify(e) }))));
  }
  await Promise.all(chunks);
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
  // The setup's producer: the faster client, the shippers' compression unless --compression none.
  const producer = new KafkaBus(KafkaSchema.parse({ partitions: 6, client: 'platformatic', compression: opts.compression }), env);
  const bus = new KafkaBus(kafka, env);
  const batchRows = opts['store-batch-rows'] ? { batch_rows: Number(opts['store-batch-rows']) } : {};
  const store = await openStore({ dataDir, config: { database, ...batchRows } });
  const detector = detectorConfig({ idle_advance_after_s: 0 });
  const fetch = { maxBytesPerPartition: detector.fetch_max_bytes_per_partition, partitionsConsumedConcurrently: detector.partitions_consumed_concurrently };
  try {
    await producer.ensureTopics([{ name: topic, partitions: 6 }, { name: alerts, partitions: 1 }]);
    const t0 = performance.now();
    await publishEvents(producer, topic, n);
    const published = (performance.now() - t0) / 1000;
    gc?.(); // the published events are garbage now: the stages below do not mark them
    console.log(`publish (setup, not a processor stage; ${opts.compression}): ${n} events in ${published.toFixed(2)} s = ${rate(n, published)} events/s`);

    let consumed = 0;
    let cpu = cpuSample();
    let start = performance.now();
    const sub = await bus.consume({ groupId: uniqueName('bench_bare'), topics: [topic], fromBeginning: true, ephemeral: true, fetch, onBatch: async (r) => void (consumed += r.length) });
    while (consumed < n) await new Promise((r) => setTimeout(r, 20));
    let s = (performance.now() - start) / 1000;
    await sub.stop();
    const consumeCpu = cpuSample();
    stages.consume = cpuUse(cpu, consumeCpu, n);
    console.log(`Kafka consume only (fetch, no parsing; group join included): ${n} events in ${s.toFixed(2)} s = ${rate(n, s)} events/s; ${cpuReport(cpu, consumeCpu, n)}`);

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
      cpu = cpuSample();
      start = performance.now();
      const timeline = opts.timeline && target === store ? sampleTimeline() : null;
      await processor.start();
      while (processor.stats.events < n) await new Promise((r) => setTimeout(r, 5));
      const first = firstBatchAt;
      const ingested = performance.now();
      await processor.checkpoint(); // everything stored, state saved, offsets committed
      const end = performance.now();
      const after = cpuSample();
      const used = cpuReport(cpu, after, n);
      if (target === store) stages.endToEnd = cpuUse(cpu, after, n);
      else stages.noStore = cpuUse(cpu, after, n);
      timeline?.stop();
      await processor.stop();
      s = (end - first) / 1000;
      const what = target === store ? `end to end: Kafka → JSON.parse → detector → ${store.kind} store + state save points` : 'Kafka → JSON.parse → detector + state save points, no store';
      console.log(
        `${what} (1 processor, 6 partitions, ${c} consumed concurrently): ${n} events in ${s.toFixed(2)} s = ${rate(n, s)} events/s from the first batch to the last save point ` +
          `(all in the detector after ${((ingested - first) / 1000).toFixed(2)} s, the last save point ${((end - ingested) / 1000).toFixed(2)} s; ` +
          `startup: group join + state load ${((first - start) / 1000).toFixed(2)} s; batches ${processor.stats.batches}, save points ${processor.stats.savePoints}); ${used} (startup included)`,
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

/** CPU per thread group every 0.5 s while it runs, printed as cores busy (1.00 = one core all the time). */
function sampleTimeline(): { stop(): void } {
  const t0 = performance.now();
  let last: CpuSample = cpuSample();
  let lastAt = t0;
  const rows: string[] = [];
  const timer = setInterval(() => {
    const now = cpuSample();
    const at = performance.now();
    const us = (at - lastAt) * 1000;
    const groups = ['main', 'node', 'engine', 'broker'].map((g) => `${g} ${(((now.groups.get(g) ?? 0) - (last.groups.get(g) ?? 0)) / us).toFixed(2)}`);
    rows.push(`  t=${((at - t0) / 1000).toFixed(1)} s: ${groups.join(', ')}`);
    last = now;
    lastAt = at;
  }, 500);
  return {
    stop: () => {
      clearInterval(timer);
      console.log(`timeline of the end-to-end run (cores busy per thread group, from processor.start; a late row means the main thread was busy):\n${rows.join('\n')}`);
    },
  };
}

/** CPU µs/event of each stage, measured above, and what a machine of this many cores allows at most. */
const stages: { detector?: number; parse?: number; consume?: CpuUse; noStore?: CpuUse; endToEnd?: CpuUse } = {};

function budget(): void {
  const { detector, parse, consume, noStore, endToEnd } = stages;
  if (!consume || !noStore || !endToEnd) return;
  const g = (u: CpuUse, group: string) => u.perEvent.get(group) ?? 0;
  const fmt = (x: number) => x.toFixed(2).padStart(6);
  const cores = cpus().length;
  console.log('CPU budget per event (µs; main thread / helper threads "node" / chdb engine / broker):');
  console.log(`  consume (kafkajs fetch + decode${opts.compression === 'gzip' ? ' + gunzip' : ''}) ${fmt(g(consume, 'main'))} / ${fmt(g(consume, 'node'))} / ${fmt(0)} / ${fmt(g(consume, 'broker'))}`);
  if (parse !== undefined && detector !== undefined) console.log(`  JSON.parse (in process)            ${fmt(parse - detector)}`);
  if (detector !== undefined) console.log(`  detector (in process)              ${fmt(detector)}`);
  console.log(`  processor without store (all)      ${fmt(g(noStore, 'main'))} / ${fmt(g(noStore, 'node'))} / ${fmt(g(noStore, 'engine'))} / ${fmt(g(noStore, 'broker'))}`);
  console.log(`  store (end to end − without store) ${fmt(g(endToEnd, 'main') - g(noStore, 'main'))} / ${fmt(g(endToEnd, 'node') - g(noStore, 'node'))} / ${fmt(g(endToEnd, 'engine') - g(noStore, 'engine'))} / ${fmt(g(endToEnd, 'broker') - g(noStore, 'broker'))}`);
  console.log(`  end to end (all)                   ${fmt(g(endToEnd, 'main'))} / ${fmt(g(endToEnd, 'node'))} / ${fmt(g(endToEnd, 'engine'))} / ${fmt(g(endToEnd, 'broker'))} = ${endToEnd.totalUs.toFixed(2)} µs/event`);
  console.log(
    `  ceiling on this machine: ${cores} cores × 1 s / ${endToEnd.totalUs.toFixed(2)} µs = ${rate(cores * 1e6, endToEnd.totalUs)} events/s end to end; ` +
      `the main thread alone allows ${rate(1e6, g(endToEnd, 'main'))} events/s (200 k events/s needs ≤ ${(cores * 5).toFixed(0)} µs/event over everything)`,
  );
}

console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2-core machine; rates scale with what else runs)`);
if (!opts['kafka-only']) {
  stages.detector = detectorOnly(Number(opts.events ?? 1_000_000));
  stages.parse = parseAndDetect(Number(opts.events ?? 200_000));
  memoryPerSeries(Number(opts.series));
}
if (!opts['no-e2e']) await kafkaStages(Number(opts.events ?? 200_000));
budget();
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`);
process.exit(0);
