/**
 * `npm run bench:ship`: lines/s from a 1 M-line HAProxy log into the local Kafka (acks=all,
 * idempotent producer) through the real shipper, and peak RSS. Then where the time goes, each
 * stage alone on the same lines: parse, event JSON encoding, and kafkajs publishing pre-encoded
 * messages. Env: BENCH_LINES (default 1000000), KAFKA_BROKERS (default 127.0.0.1:19092),
 * BENCH_COMPRESSION (gzip|none, default gzip). Prints a table and one JSON line.
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { generateHttpLogLines } from './gen-lines.js';
import { createParser } from '../src/haproxy/parser.js';
import { eventKey, type HaproxyEvent } from '../src/haproxy/event.js';
import { KafkaBus } from '../src/bus/kafka.js';
import { KafkaSchema } from '../src/config/bus.js';
import { SourcesSchema } from '../src/config/sources.js';
import { Shipper } from '../src/ship/shipper.js';
import { Registry } from '../src/observe/metrics.js';
import { TOPICS, type OutgoingMessage } from '../src/bus/bus.js';

const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const COMPRESSION = (process.env.BENCH_COMPRESSION ?? 'gzip') as 'gzip' | 'none';

const dir = mkdtempSync(join(tmpdir(), 'bw-bench-ship-'));
const file = join(dir, 'haproxy.log');
const prefix = `bench_${Date.now().toString(36)}.`;

function generate(): void {
  const fd = openSync(file, 'w');
  let batch: string[] = [];
  for (const line of generateHttpLogLines(LINES)) {
    batch.push(line);
    if (batch.length === 10_000) {
      writeSync(fd, batch.join('\n') + '\n');
      batch = [];
    }
  }
  if (batch.length) writeSync(fd, batch.join('\n') + '\n');
  closeSync(fd);
}

const BATCH_BYTES = Number(process.env.BENCH_BATCH_BYTES ?? 0) || undefined;
const kafkaConfig = () => KafkaSchema.parse({ topic_prefix: prefix, compression: COMPRESSION, partitions: 6, batch_max_bytes: BATCH_BYTES });
const env = { KAFKA_BROKERS: BROKERS.join(',') };

async function shipAll(): Promise<{ seconds: number; rssMb: number }> {
  const bus = new KafkaBus(kafkaConfig(), env);
  await bus.ensureTopics([{ name: TOPICS.events }, { name: TOPICS.rejects }]);
  const size = statSync(file).size;
  const shipper = new Shipper({
    sources: SourcesSchema.parse({ files: [file], start_at: 'beginning', checkpoint_file: join(dir, 'cp.json'), host: 'bench' }),
    bus,
    parse: createParser(),
    registry: new Registry(),
  });
  const t0 = performance.now();
  await shipper.start();
  while (shipper.files[0]?.acked !== size) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - t0) / 1000;
  await shipper.stop();
  await bus.close();
  return { seconds, rssMb: process.resourceUsage().maxRSS / 1024 };
}

function stages(lines: string[]): { parse: number; encode: number; events: OutgoingMessage[] } {
  const parse = createParser();
  let t = performance.now();
  const events: HaproxyEvent[] = [];
  for (const l of lines) {
    const r = parse(l);
    if (r.ok) events.push(r.event);
  }
  const parseS = (performance.now() - t) / 1000;
  t = performance.now();
  const messages = events.map((e, i) => {
    e.event_id = i.toString(16).padStart(32, '0');
    return { key: eventKey(e), value: JSON.stringify(e) };
  });
  return { parse: parseS, encode: (performance.now() - t) / 1000, events: messages };
}

async function publishOnly(messages: OutgoingMessage[]): Promise<number> {
  const bus = new KafkaBus(kafkaConfig(), env);
  const t = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < messages.length; i += 1000) {
    inflight.push(bus.publish(TOPICS.events, messages.slice(i, i + 1000)));
    if (inflight.length > 64) await inflight.shift();
  }
  await Promise.all(inflight);
  const s = (performance.now() - t) / 1000;
  await bus.close();
  return s;
}

async function dropTopics(): Promise<void> {
  const admin = new Kafka({ brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [prefix + TOPICS.events, prefix + TOPICS.rejects] }).catch(() => undefined);
  await admin.disconnect();
}

try {
  generate();
  const bytes = statSync(file).size;
  const shipped = await shipAll();
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const st = stages(lines);
  const kafka = await publishOnly(st.events);
  const rate = (s: number) => Math.round(LINES / s);
  const rows: [string, number][] = [
    ['ship end to end (read, parse, encode, Kafka acks=all)', shipped.seconds],
    ['  parse alone', st.parse],
    ['  JSON encode + key alone', st.encode],
    [`  kafkajs publish alone (${COMPRESSION}, pre-encoded)`, kafka],
  ];
  console.log(`${LINES.toLocaleString('en-US')} lines, ${(bytes / 1e6).toFixed(0)} MB, compression ${COMPRESSION}`);
  for (const [name, s] of rows) console.log(`${name.padEnd(58)} ${s.toFixed(2).padStart(7)} s  ${rate(s).toLocaleString('en-US').padStart(10)} lines/s`);
  console.log(`peak RSS ${shipped.rssMb.toFixed(0)} MB (whole bench process)`);
  console.log(JSON.stringify({ lines: LINES, compression: COMPRESSION, ship_lines_per_s: rate(shipped.seconds), parse_lines_per_s: rate(st.parse), encode_lines_per_s: rate(st.encode), kafkajs_lines_per_s: rate(kafka), peak_rss_mb: Math.round(shipped.rssMb) }));
} finally {
  await dropTopics();
  rmSync(dir, { recursive: true, force: true });
}
