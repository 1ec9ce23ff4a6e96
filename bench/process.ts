// npm run bench:process — the detector alone (events/s), its memory per tracked series at 100 k
// series, and (when a Kafka answers) Kafka → processor (detector + store + state checkpoints).
// Options: --events N (default 1e6 detector-only, 2e5 end to end), --series N (default 100000),
// --no-e2e. The end-to-end part uses the embedded store unless CLICKHOUSE_URL is set.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { detectorConfig } from '../src/config/detector.js';
import { Detector } from '../src/detect/detector.js';
import { eventKey, type HaproxyEvent } from '../src/haproxy/event.js';
import { event, rng, T0 } from '../test/unit/detect/traffic.js';

const { values: opts } = parseArgs({
  options: {
    events: { type: 'string' },
    series: { type: 'string', default: '100000' },
    'no-e2e': { type: 'boolean', default: false },
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
    out.push(event(T0 + Math.floor((i / perSecond) * 1000), { host: `lb${s % 8}`, backend: `be${s % 50}`, server: `s${s}`, conn_failure: random() < 0.005, event_id: `b${i}` }));
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

async function endToEnd(n: number): Promise<void> {
  const { kafkaBrokers, uniqueName } = await import('../test/support/services.js');
  let brokers: string[];
  try {
    brokers = await kafkaBrokers();
  } catch (err) {
    console.log(`end to end: skipped (${(err as Error).message.split('.')[0]})`);
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
  const stateTopic = uniqueName('bench_state');
  const dataDir = mkdtempSync(join(tmpdir(), 'bw-bench-'));
  const database = uniqueName('bench');
  const kafka = KafkaSchema.parse({ partitions: 6 });
  const producer = new KafkaBus(kafka, env);
  const bus = new KafkaBus(kafka, env);
  const store = await openStore({ dataDir, config: { database } });
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
    const group = uniqueName('bench_group');
    const state = await BusStateStore.open(bus, group, stateTopic);
    const processor = new Processor({ bus, store, state, detector: detectorConfig({ idle_advance_after_s: 0 }), groupId: group, eventsTopic: topic, alertsTopic: alerts });
    const start = performance.now();
    await processor.start();
    while (processor.stats.events < n) await new Promise((r) => setTimeout(r, 50));
    const s = (performance.now() - start) / 1000;
    await processor.stop();
    console.log(`publish: ${n} events in ${published.toFixed(2)} s = ${Math.round(n / published).toLocaleString('en')} events/s (producer, acks=all)`);
    console.log(
      `end to end (Kafka → detector → ${store.kind} store + state checkpoints, 1 processor, 6 partitions): ${n} events in ${s.toFixed(2)} s = ${Math.round(n / s).toLocaleString('en')} events/s (batches ${processor.stats.batches}, alerts ${processor.stats.alerts})`,
    );
  } finally {
    await store.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
    await store.close();
    await bus.close();
    await producer.close();
    const admin = new Kafka({ brokers, logLevel: 0 }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, alerts, stateTopic] }).catch(() => undefined);
    await admin.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

detectorOnly(Number(opts.events ?? 1_000_000));
memoryPerSeries(Number(opts.series));
if (!opts['no-e2e']) await endToEnd(Number(opts.events ?? 200_000));
process.exit(0);
