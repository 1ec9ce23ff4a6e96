import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBus } from '../../../src/bus/kafka.js';
import { KafkaSchema } from '../../../src/config/bus.js';
import type { BusRecord } from '../../../src/bus/bus.js';
import { kafkaBrokers, uniqueName } from '../../support/services.js';

/**
 * A broker outage for one process only: the publisher runs in its own network namespace and
 * reaches Kafka through a bridge this test closes for 10 s (connections cut, new ones refused),
 * so the shared broker keeps serving everybody else. Runs for the producer client that the
 * broker-stopping shipper test (test/integration/ship/broker-outage.test.ts) does not cover.
 * Needs root (unshare -n) and `ip`, as the CI machine has; a broker the bridge can reach on
 * 127.0.0.1 (the services harness).
 */
const CHILD = join(import.meta.dirname, 'outage-child.ts');

function bridge(path: string, broker: { host: string; port: number }): { up(): Promise<void>; down(): Promise<void> } {
  let server: Server | null = null;
  const open = new Set<Socket>();
  return {
    up: () =>
      new Promise<void>((resolve) => {
        rmSync(path, { force: true });
        server = createServer((c) => {
          const k = connect(broker.port, broker.host);
          const end = () => (c.destroy(), k.destroy());
          for (const s of [c, k]) {
            open.add(s);
            s.on('error', end).on('close', () => (open.delete(s), end()));
          }
          c.pipe(k).pipe(c);
        }).listen(path, resolve);
      }),
    down: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server?.close(() => resolve());
      }),
  };
}

test('@platformatic/kafka producer: Kafka unreachable for 10 s mid-stream (this process only), every acknowledged message arrives', async () => {
  const [first] = await kafkaBrokers();
  const [host, port] = first.split(':');
  assert.equal(host, '127.0.0.1', `this test bridges a broker advertised on 127.0.0.1 (the services harness), got ${first}`);
  const dir = mkdtempSync(join(tmpdir(), 'bw-outage-ns-'));
  const link = bridge(join(dir, 'kafka.sock'), { host, port: Number(port) });
  const prefix = `${uniqueName('bw_outage')}.`;
  await link.up();
  const child = spawn('unshare', ['-n', process.execPath, '--import', 'tsx', CHILD, join(dir, 'kafka.sock'), port, prefix, 'platformatic', '20'], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const bus = new KafkaBus(KafkaSchema.parse({ topic_prefix: prefix }), { KAFKA_BROKERS: first });
  try {
    const deadline = Date.now() + 30_000;
    while (!out.includes('publishing')) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `the publisher did not start: ${err.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 3000));
    await link.down();
    await new Promise((r) => setTimeout(r, 10_000));
    await link.up();
    assert.equal(await exited, 0, `publisher failed: ${err.slice(-2000)}`);
    const published = (JSON.parse(out.trim().split('\n').pop()!) as { published: number }).published;
    assert.match(err, /Kafka send failed; retrying/, 'the outage was seen by the publisher');

    const seen = new Map<number, number>();
    const sub = await bus.consume({
      groupId: uniqueName('bw_outage_read'),
      topics: ['haproxy.events'],
      fromBeginning: true,
      onBatch: async (records: BusRecord[]) => {
        for (const r of records) {
          const n = (JSON.parse(r.value.toString()) as { n: number }).n;
          seen.set(n, (seen.get(n) ?? 0) + 1);
        }
      },
    });
    const readBy = Date.now() + 60_000;
    while (seen.size < published && Date.now() < readBy) await new Promise((r) => setTimeout(r, 100));
    await sub.stop();
    const missing = [];
    for (let n = 0; n < published && missing.length < 10; n++) if (!seen.has(n)) missing.push(n);
    assert.deepEqual(missing, [], `${published} published, ${seen.size} arrived`);
    assert.ok(published > 1000, `only ${published} messages published`);
  } finally {
    child.kill('SIGKILL');
    await link.down();
    await bus.close();
    const admin = new Kafka({ brokers: [first], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [`${prefix}haproxy.events`] }).catch(() => undefined);
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
});
