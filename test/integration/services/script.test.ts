// scripts/services.sh: its command line, and its readiness probes against the real servers and
// against listeners that are not Kafka / ClickHouse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { clickhouseUrl, kafkaBrokers } from '../../support/services.js';

const SCRIPT = 'scripts/services.sh';
// The script's own defaults, not a developer's overrides.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BREAKWATER_')));

function run(...args: string[]) {
  return spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8', env, timeout: 30_000 });
}

/**
 * Runs one of the script's functions (the script is sourceable) and resolves to its exit status.
 * Asynchronous, so that listeners in this process can answer it.
 */
async function probe(fn: 'kafka_ready' | 'clickhouse_ready', host: string, port: number): Promise<number | null> {
  const child = spawn('bash', ['-c', `source ${SCRIPT} && ${fn} "$1" "$2"`, 'probe', host, String(port)], { env, stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

async function listen(onConnection: (socket: import('node:net').Socket) => void): Promise<[Server, number]> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined); // the probe may hang up before reading everything
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return [server, (server.address() as { port: number }).port];
}

test('services.sh env prints export lines with the documented addresses', () => {
  const r = run('env', 'kafka', 'clickhouse');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    'export KAFKA_BROKERS=127.0.0.1:19092',
    'export CLICKHOUSE_URL=http://127.0.0.1:18123',
  ]);
});

test('services.sh rejects an unknown component and an unknown command', () => {
  const unknownComponent = run('up', 'zookeeper');
  assert.equal(unknownComponent.status, 1);
  assert.match(unknownComponent.stderr, /unknown component 'zookeeper'/);
  const unknownCommand = run('restart');
  assert.equal(unknownCommand.status, 64);
  assert.match(unknownCommand.stderr, /services\.sh up/);
});

test('the Kafka probe (ApiVersions over /dev/tcp) accepts a real broker and rejects other listeners', async (t) => {
  const [host, port] = (await kafkaBrokers())[0]!.split(':');
  assert.equal(await probe('kafka_ready', host!, Number(port)), 0);

  const [http, httpPort] = await listen((s) => s.end('HTTP/1.0 400 Bad Request\r\n\r\n'));
  t.after(() => http.close());
  assert.notEqual(await probe('kafka_ready', '127.0.0.1', httpPort), 0);
});

test('the ClickHouse probe (SELECT 1 over HTTP) accepts a real server and rejects other listeners', async (t) => {
  const url = new URL(await clickhouseUrl());
  assert.equal(await probe('clickhouse_ready', url.hostname, Number(url.port || 80)), 0);

  const [other, otherPort] = await listen((s) => s.end('HTTP/1.0 200 OK\r\n\r\nhello'));
  t.after(() => other.close());
  assert.notEqual(await probe('clickhouse_ready', '127.0.0.1', otherPort), 0);
});
