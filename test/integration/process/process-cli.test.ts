/**
 * `breakwater process` (the CLI from source, in a child process) on the real Kafka and the real
 * ClickHouse server: it keeps haproxy.rejects in the rejects table, and with stats.enabled polls
 * the runtime API of every haproxy.hosts entry into server_status. SIGTERM stops it with exit 0.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PipelineSchema } from '../../../src/config/pipeline.js';
import { TOPICS } from '../../../src/bus/bus.js';
import { openBus } from '../../../src/bus/open.js';
import { openStore } from '../../../src/store/open.js';
import type { SqlStore } from '../../../src/store/sql-store.js';
import { clickhouseUrl, kafkaBrokers, uniqueName } from '../../support/services.js';
import { dropTestResources } from '../../support/cleanup.js';

const ENTRY = join(import.meta.dirname, '../ship/cli-entry.ts');
const dir = mkdtempSync(join(tmpdir(), 'bw-process-cli-'));
const prefix = `${uniqueName('bw_proc')}.`;
const database = uniqueName('bw_proc');
const servers: Server[] = [];
let brokers: string[] = [];
let chUrl = '';
let store: SqlStore | undefined;

after(async () => {
  await store?.close();
  for (const s of servers) s.close();
  await dropTestResources({ brokers, topicPrefix: prefix, clickhouseUrl: chUrl, database });
  rmSync(dir, { recursive: true, force: true });
});

/** A runtime API on a UNIX socket answering `show stat` with one backend server in `status`. */
async function fakeRuntime(name: string, status: string): Promise<string> {
  const path = join(dir, `${name}.sock`);
  const csv = [
    '# pxname,svname,scur,econ,eresp,status,weight,downtime,check_status,check_duration,',
    `be_app,app1,2,0,0,${status},1,0,L4OK,1,`,
    '',
  ].join('\n');
  const server = createServer((sock) => {
    sock.once('data', () => sock.end(csv));
    sock.on('error', () => undefined);
  });
  server.listen(path);
  await once(server, 'listening');
  servers.push(server);
  return path;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('process: stores haproxy.rejects and polls each host\'s runtime API; SIGTERM exits 0', async () => {
  [brokers, chUrl] = await Promise.all([kafkaBrokers(), clickhouseUrl()]);
  const pipeline = PipelineSchema.parse({
    name: 'process-cli',
    bus: { type: 'kafka', kafka: { topic_prefix: prefix, partitions: 2, linger_ms: 5 } },
    store: { database, batch_ms: 100 },
    http: { port: 0 },
    haproxy: {
      runtime_socket: join(dir, 'nothing-listens-here.sock'),
      hosts: { 'lb-a': { runtime_socket: await fakeRuntime('lb-a', 'UP') }, 'lb-b': { runtime_socket: await fakeRuntime('lb-b', 'DOWN') } },
    },
    stats: { enabled: true, interval_ms: 500 },
  });
  const path = join(dir, 'pipeline.yaml');
  writeFileSync(path, stringify(pipeline));
  const env = { ...process.env, KAFKA_BROKERS: brokers.join(','), CLICKHOUSE_URL: chUrl, LOG_LEVEL: 'warn' };
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'process', '-c', path, '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = once(child, 'exit');

  try {
    const bus = await openBus(pipeline.bus, env);
    const rejects = ['garbage one', 'garbage two', 'garbage three'].map((raw, i) => ({
      received_at: '2026-11-21T00:00:00.000Z', host: 'lb-a', source: '/var/log/haproxy.log', raw_offset: i * 20, reason: 'no format matched', raw,
    }));
    await bus.ensureTopics([{ name: TOPICS.rejects }]);
    await bus.publish(TOPICS.rejects, rejects.map((r) => ({ key: r.host, value: JSON.stringify(r) })));
    await bus.close();

    const deadline = Date.now() + 60_000;
    let seen = { rejects: [] as string[], status: [] as string[] };
    for (;;) {
      store ??= await openStore({ config: { database }, env: { CLICKHOUSE_URL: chUrl }, migrate: false }).catch(() => undefined);
      if (store) {
        const r = await store.query<{ raw: string }>('SELECT raw FROM rejects ORDER BY raw').catch(() => []);
        const s = await store.query<{ v: string }>("SELECT DISTINCT concat(host, ' ', backend, '/', server, ' ', status) AS v FROM server_status ORDER BY v").catch(() => []);
        seen = { rejects: r.map((x) => x.raw), status: s.map((x) => x.v) };
        if (seen.rejects.length >= 3 && seen.status.length >= 2) break;
      }
      assert.ok(Date.now() < deadline, `process did not store rejects and status in 60 s: ${JSON.stringify(seen)}\n${stderr}`);
      await sleep(300);
    }
    assert.deepEqual(seen.rejects, ['garbage one', 'garbage three', 'garbage two']);
    assert.deepEqual(seen.status, ['lb-a be_app/app1 UP', 'lb-b be_app/app1 DOWN'], 'one poller per host, each on its own socket');
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = await exited;
  assert.equal(code, 0, stderr);
});
