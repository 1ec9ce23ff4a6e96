import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { KafkaSchema } from '../../../src/config/bus.js';
import { TOPICS, type Subscription } from '../../../src/bus/bus.js';
import { kafkaBrokers, uniqueName } from '../../support/services.js';

const ENTRY = join(import.meta.dirname, 'cli-entry.ts');

/** A realistic httplog line whose request carries its number: /r/<n>. Garbage lines carry it too. */
export function logLine(n: number, garbage = false): string {
  if (garbage) return `garbage line /r/${n} that no parser takes`;
  const ms = String(n % 1000).padStart(3, '0');
  return `Nov 21 00:00:00 lb1 haproxy[4242]: 10.0.0.${n % 250}:4${n % 10000} [21/Nov/2026:00:00:00.${ms}] www be_app/s${n % 3} 0/0/1/2/3 200 512 - - ---- 1/1/1/1/0 0/0 "GET /r/${n} HTTP/1.1"`;
}

export function lines(from: number, to: number, garbageEvery = 0): string {
  let out = '';
  for (let n = from; n < to; n++) out += logLine(n, garbageEvery > 0 && n % garbageEvery === garbageEvery - 1) + '\n';
  return out;
}

/**
 * The shipper's producer client (`bus.kafka.client`) where a test does not choose one:
 * SHIP_TEST_KAFKA_CLIENT runs the whole suite with the other client. The collector reads with kafkajs.
 */
export const SHIPPER_CLIENT = process.env.SHIP_TEST_KAFKA_CLIENT ?? 'kafkajs';
/** SHIP_TEST_ENCODE_THREAD=1 runs the suite with `sources.encode_thread` (parse + encode on a worker thread). */
const ENCODE_THREAD = process.env.SHIP_TEST_ENCODE_THREAD === '1';

export interface Setup {
  prefix: string;
  pipeline: string;
  checkpoint: string;
  brokers: string[];
}

export async function setup(dir: string, files: string[], extra: { sources?: Record<string, unknown>; kafka?: Record<string, unknown> } = {}): Promise<Setup> {
  const brokers = await kafkaBrokers();
  const prefix = `${uniqueName('bw_ship')}.`;
  const checkpoint = join(dir, 'checkpoint.json');
  const pipeline = join(dir, 'pipeline.yaml');
  const doc = {
    name: 'ship-test',
    sources: { files, checkpoint_file: checkpoint, start_at: 'beginning', poll_interval_ms: 50, rescan_interval_ms: 200, rotate_wait_ms: 1500, checkpoint_interval_ms: 200, host: 'lb1', encode_thread: ENCODE_THREAD, ...extra.sources },
    bus: { type: 'kafka', kafka: { topic_prefix: prefix, partitions: 3, linger_ms: 10, retry_max_ms: 2000, client: SHIPPER_CLIENT, ...extra.kafka } },
    http: { port: 0 },
  };
  writeFileSync(pipeline, JSON.stringify(doc)); // JSON is YAML
  return { prefix, pipeline, checkpoint, brokers };
}

export interface ShipperProcess {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function spawnShipper(s: Setup, logLevelName = 'info'): ShipperProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'ship', '-c', s.pipeline], {
    env: { ...process.env, KAFKA_BROKERS: s.brokers.join(','), LOG_LEVEL: logLevelName },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => {
    if (process.env.SHIP_TEST_LOG) appendFileSync(process.env.SHIP_TEST_LOG, d);
    err += d.toString();
    if (err.length > 2_000_000) err = err.slice(-1_000_000);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

/** Resolves once the shipper has its files open (rotations before that are not its business). */
export async function shipperStarted(p: ShipperProcess, ms = 30_000): Promise<void> {
  await until(() => p.stderr().includes('"msg":"shipper started"'), ms, 'shipper start', () => p.stderr().slice(-2000));
}

export async function stopShipper(p: ShipperProcess): Promise<number | null> {
  p.child.kill('SIGTERM');
  return p.exited;
}

/** Everything that reached the test's topics: per line number, the event ids it arrived with. */
export class Collector {
  readonly events = new Map<number, string[]>();
  /** Line number → byte offset of the line in its file (raw_offset). */
  readonly offsets = new Map<number, number>();
  readonly rejects = new Map<number, { id: string; reason: string; raw: string }[]>();
  records = 0;
  private sub: Subscription | null = null;
  private readonly bus: KafkaBus;

  constructor(private readonly s: Setup) {
    this.bus = new KafkaBus(KafkaSchema.parse({ topic_prefix: s.prefix, retry_max_ms: 2000 }), { KAFKA_BROKERS: s.brokers.join(',') });
  }

  async start(): Promise<void> {
    await this.bus.ensureTopics([{ name: TOPICS.events, partitions: 3 }, { name: TOPICS.rejects, partitions: 3 }]);
    this.sub = await this.bus.consume({
      groupId: uniqueName('bw_collect'),
      topics: [TOPICS.events, TOPICS.rejects],
      fromBeginning: true,
      onBatch: async (records) => {
        for (const r of records) {
          this.records++;
          const v = JSON.parse(r.value.toString());
          const m = /\/r\/(\d+)/.exec(r.topic === TOPICS.events ? v.uri : v.raw);
          if (!m) throw new Error(`record without a line number: ${r.value.toString().slice(0, 200)}`);
          const n = Number(m[1]);
          if (r.topic === TOPICS.events) {
            const list = this.events.get(n) ?? [];
            list.push(v.event_id);
            this.events.set(n, list);
            this.offsets.set(n, v.raw_offset);
          } else {
            const list = this.rejects.get(n) ?? [];
            list.push({ id: v.event_id, reason: v.reason, raw: v.raw });
            this.rejects.set(n, list);
          }
        }
      },
    });
  }

  /** Ranges of line numbers in [0, n) that never arrived, for failure messages. */
  missing(n: number): string {
    const out: string[] = [];
    for (let i = 0; i < n && out.length < 20; i++) {
      if (this.events.has(i) || this.rejects.has(i)) continue;
      let j = i;
      while (j + 1 < n && !this.events.has(j + 1) && !this.rejects.has(j + 1)) j++;
      out.push(i === j ? `${i}` : `${i}-${j}`);
      i = j;
    }
    return `missing: ${out.join(', ')}`;
  }

  /** Line numbers seen at least once (events or rejects). */
  distinct(): number {
    return this.events.size + this.rejects.size;
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
    await this.bus.close();
  }

  async dropTopics(): Promise<void> {
    const admin = new Kafka({ brokers: this.s.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [this.s.prefix + TOPICS.events, this.s.prefix + TOPICS.rejects] }).catch(() => undefined);
    await admin.disconnect();
  }
}

export async function until(cond: () => boolean, ms: number, what: string, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not done in ${ms} ms ${detail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Appends lines [from, to) in slices, yielding to the event loop between them (load, not one write). */
export async function appendSlowly(path: string, from: number, to: number, perWrite: number, pauseMs: number, garbageEvery = 0): Promise<void> {
  for (let n = from; n < to; n += perWrite) {
    appendFileSync(path, lines(n, Math.min(to, n + perWrite), garbageEvery));
    await sleep(pauseMs);
  }
}
