// docker-compose.yml cannot run here (no Docker engine): check it is valid and agrees with the
// README, scripts/services.sh and the test support's images and ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CLICKHOUSE_IMAGE, KAFKA_IMAGE, LOCAL_CLICKHOUSE_URL, LOCAL_KAFKA_BROKERS } from '../support/services.js';

interface ComposeService {
  image: string;
  ports: string[];
  environment: Record<string, string>;
  volumes: string[];
  healthcheck: { test: string[]; interval: string; retries: number };
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { strict: true, uniqueKeys: true }) as Compose;
const readme = readFileSync('README.md', 'utf8');
const servicesScript = readFileSync('scripts/services.sh', 'utf8');

function hostPorts(service: ComposeService): Record<string, string> {
  const out: Record<string, string> = {};
  for (const mapping of service.ports) {
    const m = /^127\.0\.0\.1:(\d+):(\d+)$/.exec(mapping);
    assert.ok(m, `port mapping '${mapping}' must bind 127.0.0.1:HOST:CONTAINER`);
    out[m[2]!] = m[1]!;
  }
  return out;
}

test('compose: Kafka and ClickHouse services with pinned images, healthchecks and named volumes', () => {
  // The fleet's services (shipper, processors, demo HAProxy …) are checked in compose-fleet.test.ts.
  for (const [name, service] of Object.entries(compose.services).filter(([n]) => n === 'kafka' || n === 'clickhouse')) {
    assert.match(service.image, /^[a-z/-]+:\d+\.\d+(\.\d+)*$/, `${name}: image must be pinned to a version tag`);
    assert.ok(service.healthcheck.test.length > 1, `${name}: healthcheck`);
    for (const volume of service.volumes) {
      const named = volume.split(':')[0]!;
      assert.ok(named in compose.volumes, `${name}: volume ${named} is declared`);
    }
  }
  assert.match(compose.services.kafka!.image, /^apache\/kafka:4\./);
  assert.match(compose.services.clickhouse!.image, /^clickhouse\/clickhouse-server:/);
});

test('compose: the images are the ones testcontainers uses', () => {
  assert.equal(compose.services.kafka!.image, KAFKA_IMAGE);
  assert.equal(compose.services.clickhouse!.image, CLICKHOUSE_IMAGE);
});

test('compose: Kafka runs KRaft with a valid cluster id and advertises the documented host port', () => {
  const env = compose.services.kafka!.environment;
  assert.equal(env.KAFKA_PROCESS_ROLES, 'broker,controller');
  assert.equal(Buffer.from(env.CLUSTER_ID!, 'base64url').length, 16, 'CLUSTER_ID is a base64url 16-byte uuid');
  const port = LOCAL_KAFKA_BROKERS.split(':')[1]!;
  assert.equal(hostPorts(compose.services.kafka!)[port], port);
  assert.ok(env.KAFKA_ADVERTISED_LISTENERS!.split(',').includes(`EXTERNAL://${LOCAL_KAFKA_BROKERS}`));
});

test('compose, services.sh, test support and README agree on the ports', () => {
  const kafkaPort = LOCAL_KAFKA_BROKERS.split(':')[1]!;
  const clickhousePort = new URL(LOCAL_CLICKHOUSE_URL).port;
  assert.equal(hostPorts(compose.services.clickhouse!)['8123'], clickhousePort);
  assert.equal(hostPorts(compose.services.clickhouse!)['9000'], '19000');
  assert.match(servicesScript, new RegExp(`BREAKWATER_KAFKA_PORT:-${kafkaPort}\\}`));
  assert.match(servicesScript, new RegExp(`BREAKWATER_CLICKHOUSE_HTTP_PORT:-${clickhousePort}\\}`));
  assert.match(servicesScript, /BREAKWATER_CLICKHOUSE_TCP_PORT:-19000\}/);
  for (const documented of [`KAFKA_BROKERS=${LOCAL_KAFKA_BROKERS}`, `CLICKHOUSE_URL=${LOCAL_CLICKHOUSE_URL}`,
    `127.0.0.1:${kafkaPort}`, `127.0.0.1:${clickhousePort}`, KAFKA_IMAGE, CLICKHOUSE_IMAGE, 'docker compose up -d']) {
    assert.ok(readme.includes(documented), `README mentions ${documented}`);
  }
});

test('README test command is the one .ci/run runs', () => {
  const ci = readFileSync('.ci/run', 'utf8');
  assert.ok(readme.includes('npm run services:up && npm test'));
  assert.match(ci, /^npm run services:up\b/m);
  assert.match(ci, /^npm test\b/m);
});
