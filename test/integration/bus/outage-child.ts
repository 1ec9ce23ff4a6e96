// Runs in a network namespace of its own (unshare -n), where the only way to the broker is the
// test's bridge: 127.0.0.1:<broker port> is forwarded to a unix socket the test can close.
// Publishes numbered messages for a while (at most 20 batches waiting, as a shipper bounds its
// in-flight bytes) and prints {"published":N} once the bus acknowledged all of them.
import { spawnSync } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { KafkaSchema } from '../../../src/config/bus.js';

const [bridgePath, port, prefix, client, seconds] = process.argv.slice(2);

const lo = spawnSync('ip', ['link', 'set', 'lo', 'up']);
if (lo.status !== 0) throw new Error(`ip link set lo up: ${lo.stderr.toString()}`);
const pipe = (a: Socket, b: Socket) => {
  const end = () => (a.destroy(), b.destroy());
  a.pipe(b).pipe(a);
  for (const s of [a, b]) s.on('error', end).on('close', end);
};
const proxy = createServer((c) => pipe(c, connect(bridgePath))).listen(Number(port), '127.0.0.1');

const bus = new KafkaBus(
  KafkaSchema.parse({ topic_prefix: prefix, client, partitions: 3, linger_ms: 10, retry_max_ms: 2000, request_timeout_ms: 5000 }),
  { KAFKA_BROKERS: `127.0.0.1:${port}` },
);
await bus.ensureTopics([{ name: 'haproxy.events', partitions: 3 }]);
process.stdout.write('publishing\n');
const end = Date.now() + Number(seconds) * 1000;
const waiting: Promise<void>[] = [];
let n = 0;
while (Date.now() < end) {
  const batch = [];
  for (let i = 0; i < 100; i++, n++) batch.push({ key: `lb|be|s${n % 7}`, value: JSON.stringify({ n }) });
  waiting.push(bus.publish('haproxy.events', batch));
  while (waiting.length > 20) await waiting.shift();
  await new Promise((r) => setTimeout(r, 20));
}
await Promise.all(waiting);
await bus.close();
proxy.close();
process.stdout.write(JSON.stringify({ published: n }) + '\n');
