/**
 * `npm run bench:ship`: lines/s from a 1 M-line HAProxy log into the local Kafka (acks=all,
 * idempotent producer) through the real shipper, once per producer client (kafkajs and
 * @platformatic/kafka, each in a child process of its own so CPU and peak RSS are its own). Then
 * where the time goes, each stage alone on the same lines: read + split, parse, event JSON
 * encoding (JSON.stringify) and each client publishing pre-encoded messages. The second core is
 * measured through the shipper itself (sources.encode_thread, its WorkerEncoder).
 *
 * Every row gives wall-clock lines/s AND CPU microseconds per line of this process (user+system;
 * the broker's CPU is not in it): on a shared machine the CPU figure is the one to compare.
 * Env: BENCH_LINES (default 1000000), KAFKA_BROKERS (default 127.0.0.1:19092),
 * BENCH_COMPRESSION (gzip|none, default none: a broker on the same host), BENCH_CLIENTS
 * (default "kafkajs,platformatic"), BENCH_BATCH_BYTES, BENCH_INFLIGHT_BYTES (sources.max_inflight_bytes). Prints a table and one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { writeHttpLogFile } from './gen-lines.js';
import { createParser } from '../src/haproxy/parser.js';
import { eventKey, type HaproxyEvent } from '../src/haproxy/event.js';
import { KafkaBus } from '../src/bus/kafka.js';
import { KafkaSchema, type KafkaConfig } from '../src/config/bus.js';
import { SourcesSchema } from '../src/config/sources.js';
import { Shipper } from '../src/ship/shipper.js';
import { LineSplitter } from '../src/ship/lines.js';
import { WorkerEncoder } from '../src/ship/encoder.js';
import { KeyTable, PackedWriter } from '../src/ship/packed-events.js';
import { Registry } from '../src/observe/metrics.js';
import { TOPICS, type OutgoingMessage } from '../src/bus/bus.js';

type Client = KafkaConfig['client'];

/** Lines in one 256 KiB read chunk (sources.read_chunk_bytes) of generated httplog. */
const CHUNK_LINES = 1300;

const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const COMPRESSION = (process.env.BENCH_COMPRESSION ?? 'none') as KafkaConfig['compression'];
const CLIENTS = (process.env.BENCH_CLIENTS ?? 'kafkajs,platformatic').split(',') as Client[];
const BATCH_BYTES = Number(process.env.BENCH_BATCH_BYTES ?? 0) || undefined;
const INFLIGHT_BYTES = Number(process.env.BENCH_INFLIGHT_BYTES ?? 0) || undefined;
const env = { KAFKA_BROKERS: BROKERS.join(',') };
const kafkaConfig = (prefix: string, client: Client) =>
  KafkaSchema.parse({ topic_prefix: prefix, compression: COMPRESSION, partitions: 6, batch_max_bytes: BATCH_BYTES, client });

interface Measure {
  seconds: number;
  cpuUs: number;
  /** Lines the row covers when not all of them. */
  lines?: number;
}

/** Wall seconds and CPU microseconds (user+system) of this process spent in fn. */
async function measure(fn: () => unknown): Promise<Measure> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - t) / 1000, cpuUs: used.user + used.system };
}


async function dropTopics(prefix: string): Promise<void> {
  const admin = new Kafka({ brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [prefix + TOPICS.events, prefix + TOPICS.rejects] }).catch(() => undefined);
  await admin.disconnect();
}

/** CPU microseconds (user+system) per thread of this process, by thread id (Linux /proc). */
function threadCpu(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(tid, (Number(fields[11]) + Number(fields[12])) * 10_000);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ticks;
}

/** The local Kafka broker's process (its command line runs kafka.Kafka), if one is visible in /proc. */
function brokerPid(): string | null {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka')) return pid;
    } catch {
      // Gone or not readable.
    }
  }
  return null;
}

/** CPU microseconds (user+system) the process has used so far; 0 without one. */
function processCpu(pid: string | null): number {
  if (!pid) return 0;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Per-thread CPU: the main thread, the encoding worker threads (started in between), the rest (GC, libuv, V8). */
interface ThreadSplit {
  mainUs: number;
  workerUs: number;
  otherUs: number;
  /** The broker's CPU over the same time (on this machine, the same two cores). */
  brokerUs?: number;
}

function splitThreads(before: Map<string, number>, workers: Set<string>, after: Map<string, number>): ThreadSplit {
  const split = { mainUs: 0, workerUs: 0, otherUs: 0 };
  for (const [tid, us] of after) {
    const used = us - (before.get(tid) ?? 0);
    if (tid === String(process.pid)) split.mainUs += used;
    else if (workers.has(tid)) split.workerUs += used;
    else split.otherUs += used;
  }
  return split;
}

/** Child mode: ship the whole file once with one client; prints {seconds, cpuUs, rssMb}. */
async function shipOnce(file: string, client: Client, encodeThread: boolean): Promise<void> {
  const prefix = `bench_${client}_${Date.now().toString(36)}.`;
  const bus = new KafkaBus(kafkaConfig(prefix, client), env);
  try {
    await bus.ensureTopics([{ name: TOPICS.events }, { name: TOPICS.rejects }]);
    const size = statSync(file).size;
    const beforeEncoder = threadCpu();
    const encoder = encodeThread ? new WorkerEncoder({}) : undefined;
    await new Promise((r) => setTimeout(r, 200));
    const workers = new Set([...threadCpu().keys()].filter((tid) => !beforeEncoder.has(tid)));
    const shipper = new Shipper({
      sources: SourcesSchema.parse({ files: [file], start_at: 'beginning', checkpoint_file: `${file}.${client}.${encodeThread}.cp.json`, host: 'bench', max_inflight_bytes: INFLIGHT_BYTES }),
      bus,
      parse: createParser(),
      encoder,
      registry: new Registry(),
    });
    const broker = brokerPid();
    const brokerBefore = processCpu(broker);
    const threadsBefore = threadCpu();
    const m = await measure(async () => {
      await shipper.start();
      while (shipper.files[0]?.acked !== size) await new Promise((r) => setTimeout(r, 5));
    });
    const threads = { ...splitThreads(threadsBefore, workers, threadCpu()), brokerUs: broker ? processCpu(broker) - brokerBefore : undefined };
    await shipper.stop();
    await bus.close();
    process.stdout.write(JSON.stringify({ ...m, threads, rssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
  } finally {
    await dropTopics(prefix);
  }
}

type Shipped = Measure & { rssMb: number; threads: ThreadSplit };

function shipInChild(file: string, client: Client, encodeThread = false): Shipped {
  const out = execFileSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--ship-once', file, client, String(encodeThread)], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.toString().trim().split('\n').pop()!) as Shipped;
}

function readAndSplit(file: string): number {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  const splitter = new LineSplitter();
  let lines = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    lines += splitter.push(buf.subarray(0, n)).length;
  }
  closeSync(fd);
  return lines;
}

async function publishOnly(messages: OutgoingMessage[], client: Client): Promise<Measure> {
  const prefix = `bench_pub_${client}_${Date.now().toString(36)}.`;
  const bus = new KafkaBus(kafkaConfig(prefix, client), env);
  await bus.ensureTopics([{ name: TOPICS.events }]);
  try {
    return await measure(async () => {
      const inflight: Promise<void>[] = [];
      for (let i = 0; i < messages.length; i += 1000) {
        inflight.push(bus.publish(TOPICS.events, messages.slice(i, i + 1000)));
        if (inflight.length > 64) await inflight.shift();
      }
      await Promise.all(inflight);
    });
  } finally {
    await bus.close();
    await dropTopics(prefix);
  }
}


async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-ship-'));
  const file = join(dir, 'haproxy.log');
  try {
    writeHttpLogFile(file, LINES);
    const bytes = statSync(file).size;
    const load = loadavg()[0];
    const rows: [string, Measure][] = [];
    const shipped: Record<string, Shipped> = {};
    for (const client of CLIENTS) {
      shipped[client] = shipInChild(file, client);
      rows.push([`ship end to end, ${client} (read, parse, encode, Kafka acks=all)`, shipped[client]]);
    }
    const threaded = CLIENTS[CLIENTS.length - 1];
    const withThread = shipInChild(file, threaded, true);
    rows.push([`ship end to end, ${threaded}, sources.encode_thread (CPU: both threads)`, withThread]);
    rows.push(['  read + split lines alone', await measure(() => readAndSplit(file))]);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const parse = createParser();
    const events: HaproxyEvent[] = [];
    rows.push(['  parse alone', await measure(() => lines.forEach((l) => { const r = parse(l); if (r.ok) events.push(r.event); }))]);
    events.forEach((e, i) => {
      e.event_id = i.toString(16).padStart(32, '0');
      e.source = file;
      e.raw_offset = i * 300;
    });
    // As in the shipper (packLines): JSON.stringify written as UTF-8 into one buffer per chunk,
    // the key as an id; nothing kept afterwards.
    const encodeAll = () => {
      const keys = new KeyTable();
      for (let i = 0; i < events.length; i += CHUNK_LINES) {
        const writer = new PackedWriter(CHUNK_LINES, CHUNK_LINES * 1200);
        for (const e of events.slice(i, i + CHUNK_LINES)) writer.add(keys.idOf(e), JSON.stringify(e));
        writer.finish(keys);
      }
    };
    rows.push(['  encode to bytes: JSON.stringify into the chunk buffer + key', await measure(encodeAll)]);
    // The publishing rows send the first 200 k: a million events and messages kept on the heap
    // would make the garbage collector's full passes part of what they measure.
    const messages: OutgoingMessage[] = events.slice(0, 200_000).map((e) => ({ key: eventKey(e), value: Buffer.from(JSON.stringify(e)) }));
    events.length = 0;
    lines.length = 0;
    const published: Record<string, Measure> = {};
    for (const client of CLIENTS) {
      published[client] = { ...(await publishOnly(messages, client)), lines: messages.length };
      rows.push([`  publish alone, ${client} (${COMPRESSION}, pre-encoded, first 200 k)`, published[client]]);
    }
    const threadsPerLine = (t: ThreadSplit) => Object.fromEntries(Object.entries(t).map(([k, us]) => [k.replace(/Us$/, ''), Number((us / LINES).toFixed(2))]));
    const rate = (m: Measure) => Math.round((m.lines ?? LINES) / m.seconds);
    const perLine = (m: Measure) => m.cpuUs / (m.lines ?? LINES);
    console.log(`${LINES.toLocaleString('en-US')} lines, ${(bytes / 1e6).toFixed(0)} MB, compression ${COMPRESSION}, load average at start ${load.toFixed(2)} (2 cores)`);
    console.log(`${'stage'.padEnd(72)} ${'wall s'.padStart(7)}  ${'lines/s'.padStart(10)}  ${'CPU us/line'.padStart(11)}`);
    for (const [name, m] of rows) {
      console.log(`${name.padEnd(72)} ${m.seconds.toFixed(2).padStart(7)}  ${rate(m).toLocaleString('en-US').padStart(10)}  ${perLine(m).toFixed(2).padStart(11)}`);
    }
    console.log('\nCPU us/line of the end-to-end rows by thread (the broker: its whole process, same two cores)');
    console.log(`${'run'.padEnd(46)} ${'main'.padStart(6)} ${'worker'.padStart(7)} ${'GC+other'.padStart(9)} ${'broker'.padStart(7)}`);
    const perThread = (name: string, t: ThreadSplit) =>
      console.log(`${name.padEnd(46)} ${(t.mainUs / LINES).toFixed(2).padStart(6)} ${(t.workerUs / LINES).toFixed(2).padStart(7)} ${(t.otherUs / LINES).toFixed(2).padStart(9)} ${t.brokerUs === undefined ? '     -' : (t.brokerUs / LINES).toFixed(2).padStart(7)}`);
    for (const client of CLIENTS) perThread(`${client}`, shipped[client].threads);
    perThread(`${threaded}, sources.encode_thread`, withThread.threads);
    for (const client of CLIENTS) console.log(`peak RSS of the ${client} shipper process: ${shipped[client].rssMb.toFixed(0)} MB`);
    console.log(JSON.stringify({
      lines: LINES,
      compression: COMPRESSION,
      load_average: Number(load.toFixed(2)),
      [`ship_${threaded}_encode_thread_lines_per_s`]: rate(withThread),
      [`ship_${threaded}_encode_thread_cpu_us_per_line`]: Number(perLine(withThread).toFixed(2)),
      [`ship_${threaded}_encode_thread_threads_us_per_line`]: threadsPerLine(withThread.threads),
      ...Object.fromEntries(CLIENTS.flatMap((c) => [
        [`ship_${c}_lines_per_s`, rate(shipped[c])],
        [`ship_${c}_cpu_us_per_line`, Number(perLine(shipped[c]).toFixed(2))],
        [`ship_${c}_threads_us_per_line`, threadsPerLine(shipped[c].threads)],
        [`ship_${c}_peak_rss_mb`, Math.round(shipped[c].rssMb)],
        [`publish_${c}_cpu_us_per_line`, Number(perLine(published[c]).toFixed(2))],
      ])),
      stages: Object.fromEntries(rows.slice(CLIENTS.length + 1).map(([name, m]) => [name.trim().replace(/\W+/g, '_').replace(/_$/, ''), { lines_per_s: rate(m), cpu_us_per_line: Number(perLine(m).toFixed(2)) }])),
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--ship-once') await shipOnce(process.argv[3], process.argv[4] as Client, process.argv[5] === 'true');
else await main();
