// The one place a test gets a real Kafka, ClickHouse server or HAProxy binary.
//
// Kafka and ClickHouse come from, in order:
//   1. KAFKA_BROKERS / CLICKHOUSE_URL when set (your own servers, or `eval "$(scripts/services.sh env)"`);
//   2. the servers `npm run services:up` starts (127.0.0.1:19092 and :18123) when they answer;
//   3. testcontainers, when a Docker engine answers (pinned images, started once per test process);
//   4. otherwise an error saying how to start them. Tests never skip.
// Services are shared between tests and runs: give every topic, consumer group and database a
// uniqueName() and drop what you create.
import { randomBytes } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** Where scripts/services.sh puts them (keep in sync with the script). */
export const LOCAL_KAFKA_BROKERS = '127.0.0.1:19092';
export const LOCAL_CLICKHOUSE_URL = 'http://127.0.0.1:18123';

/** Images used when a Docker engine is available (the same tags as docker-compose.yml). */
export const KAFKA_IMAGE = 'apache/kafka:4.3.1';
export const CLICKHOUSE_IMAGE = 'clickhouse/clickhouse-server:26.3';

const HOW_TO_START =
  'Start the project\'s services with `npm run services:up` (Kafka on 127.0.0.1:19092, ClickHouse on ' +
  '127.0.0.1:18123), or point KAFKA_BROKERS=host:port[,host:port] and CLICKHOUSE_URL=http://host:port ' +
  'at your own servers, or run the tests where a Docker engine answers (testcontainers).';

let kafkaPromise: Promise<string[]> | undefined;
let clickhousePromise: Promise<string> | undefined;

/** Bootstrap brokers of a real Kafka (see the module comment for where it comes from). */
export function kafkaBrokers(): Promise<string[]> {
  kafkaPromise ??= resolveKafka();
  return kafkaPromise;
}

/** Base URL of a real ClickHouse server's HTTP interface, e.g. http://127.0.0.1:18123. */
export function clickhouseUrl(): Promise<string> {
  clickhousePromise ??= resolveClickhouse();
  return clickhousePromise;
}

/** A name no other test or run uses: `${prefix}_<time>_<random>`, valid as a topic, group or database name. */
export function uniqueName(prefix: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(prefix)) throw new Error(`uniqueName: prefix must be [A-Za-z][A-Za-z0-9_]*, got '${prefix}'`);
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** Path of the haproxy binary: HAPROXY_BIN, else PATH, else Debian's sbin. Throws when absent. */
export function haproxyBinary(): string {
  return locateBinary('haproxy', 'HAPROXY_BIN');
}

/** Path of halog (ships with Debian's haproxy package): HALOG_BIN, else PATH, else sbin. Throws when absent. */
export function halogBinary(): string {
  return locateBinary('halog', 'HALOG_BIN');
}

async function resolveKafka(): Promise<string[]> {
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv) return fromEnv.split(',').map((b) => b.trim()).filter(Boolean);
  const [host, port] = LOCAL_KAFKA_BROKERS.split(':');
  if (await tcpAnswers(host!, Number(port))) return [LOCAL_KAFKA_BROKERS];
  if (await dockerAnswers()) return [await startKafkaContainer()];
  throw new Error(`No Kafka for this test: KAFKA_BROKERS is not set, nothing listens on ${LOCAL_KAFKA_BROKERS} and no Docker engine answers. ${HOW_TO_START}`);
}

async function resolveClickhouse(): Promise<string> {
  const fromEnv = process.env.CLICKHOUSE_URL?.trim();
  if (fromEnv) return fromEnv.replace(/\/+$/, '');
  if (await clickhouseAnswers(LOCAL_CLICKHOUSE_URL)) return LOCAL_CLICKHOUSE_URL;
  if (await dockerAnswers()) return startClickhouseContainer();
  throw new Error(`No ClickHouse server for this test: CLICKHOUSE_URL is not set, nothing answers on ${LOCAL_CLICKHOUSE_URL} and no Docker engine answers. ${HOW_TO_START}`);
}

function tcpAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function clickhouseAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/?query=SELECT%201`, { signal: AbortSignal.timeout(2000) });
    return res.ok && (await res.text()).trim() === '1';
  } catch {
    return false;
  }
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

// Kafka must advertise the address clients use, so the host port is chosen first and the broker
// listens on the same port number inside the container. Ryuk removes the container when the test
// process exits.
async function startKafkaContainer(): Promise<string> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const port = await freePort();
  await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: port, host: port })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://:${port},CONTROLLER://:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(120_000)
    .start();
  return `127.0.0.1:${port}`;
}

async function startClickhouseContainer(): Promise<string> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(CLICKHOUSE_IMAGE)
    .withExposedPorts(8123)
    .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' })
    .withUlimits({ nofile: { soft: 262144, hard: 262144 } })
    .withWaitStrategy(Wait.forHttp('/ping', 8123).forStatusCode(200))
    .withStartupTimeout(120_000)
    .start();
  return `http://${container.getHost()}:${container.getMappedPort(8123)}`;
}

function locateBinary(name: string, envVar: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(`${envVar}=${fromEnv} is not an executable file`);
  }
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/lib/haproxy'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  throw new Error(`${name} not found (looked at ${envVar}, PATH, /usr/sbin, /usr/local/sbin, /usr/lib/haproxy). ` +
    'Install it with `npm run services:up` (Debian\'s haproxy package brings haproxy and halog) or set ' + `${envVar}.`);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
