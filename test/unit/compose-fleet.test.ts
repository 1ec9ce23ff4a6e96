// docker-compose.yml's fleet (no Docker here): the shipper, the two processors, the demo HAProxy,
// its backends, rsyslog and the load generator must agree with each other, with the pack they run
// (deploy/compose/fleet.yaml) and with the CLI, the way test/e2e/fleet.test.ts runs the fleet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'yaml';
import { loadPipeline } from '../../src/config/pipeline.js';
import { command as processCommand } from '../../src/cli/process.js';
import { command as shipCommand } from '../../src/cli/ship.js';
import { parseRuntimeAddress } from '../../src/stats/runtime-api.js';

interface Service {
  image?: string;
  build?: string | { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  networks?: { default?: { ipv4_address?: string } };
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  networks: { default: { ipam: { config: Array<{ subnet: string }> } } };
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { strict: true, uniqueKeys: true }) as Compose;
const svc = compose.services;
const PACK = 'deploy/compose/fleet.yaml';
const IN_IMAGE = '/etc/breakwater/fleet.yaml';
const pack = loadPipeline(PACK);
const haproxyCfg = readFileSync('deploy/compose/haproxy.cfg', 'utf8');
const rsyslogConf = readFileSync('deploy/compose/rsyslog.conf', 'utf8');
const dockerfile = readFileSync('Dockerfile', 'utf8');
const breakwater = ['shipper', 'processor-1', 'processor-2'];

/** The volume mounted at `path` in a service, or undefined. */
const mountAt = (s: Service, path: string) => s.volumes?.map((v) => v.split(':')).find((p) => p[1] === path)?.[0];

test('compose fleet: every service of the tested fleet is there, images pinned, volumes declared', () => {
  for (const name of ['app1', 'app2', 'app3', 'syslog', 'haproxy', 'loadgen', ...breakwater]) assert.ok(svc[name], `service ${name}`);
  for (const [name, s] of Object.entries(svc)) {
    if (!s.build) assert.match(s.image ?? '', /^[a-z/-]+:\d+\.\d+(\.\d+)*(-[a-z]+)?$/, `${name}: image pinned to a version`);
    for (const v of s.volumes ?? []) {
      const source = v.split(':')[0]!;
      if (source.startsWith('./')) assert.ok(existsSync(source), `${name}: ${source} exists`);
      else assert.ok(source in compose.volumes, `${name}: volume ${source} declared`);
    }
    for (const dep of Object.keys(s.depends_on ?? {})) assert.ok(svc[dep], `${name} depends on a service: ${dep}`);
  }
  const syslogBuild = svc.syslog!.build as { context: string; dockerfile: string };
  assert.ok(existsSync(`${syslogBuild.context}/${syslogBuild.dockerfile}`));
});

test('compose fleet: ship and two process instances of the built image run the pack on Kafka and ClickHouse', () => {
  assert.ok(dockerfile.includes(`COPY ${PACK} ${IN_IMAGE}`), 'the image carries the pack');
  assert.match(dockerfile, /ENTRYPOINT \["node", "\/app\/bin\/breakwater\.js"\]/);
  for (const name of breakwater) {
    assert.equal(svc[name]!.build, '.', `${name} runs the Dockerfile's image`);
    assert.deepEqual(svc[name]!.command!.slice(1, 3), ['-c', IN_IMAGE]);
    assert.equal(svc[name]!.depends_on?.kafka?.condition, 'service_healthy');
  }
  assert.equal(svc.shipper!.command![0], 'ship');
  const processors = breakwater.slice(1).map((n) => svc[n]!);
  assert.deepEqual(processors.map((p) => p.command![0]), ['process', 'process']);
  assert.deepEqual(processors.map((p) => p.command!.includes('--no-stats')), [false, true], 'one processor polls the runtime API');
  assert.match(processCommand.help, /--no-stats/);
  assert.match(shipCommand.help, /-c/);

  // Containers reach Kafka on its internal listener, ClickHouse on its container port.
  const internal = svc.kafka!.environment!.KAFKA_ADVERTISED_LISTENERS!.split(',').find((l) => l.startsWith('INTERNAL://'))!.slice('INTERNAL://'.length);
  for (const name of breakwater) assert.equal(svc[name]!.environment!.KAFKA_BROKERS, internal, `${name}: KAFKA_BROKERS`);
  for (const p of processors) {
    const url = new URL(p.environment!.CLICKHOUSE_URL!);
    assert.equal(url.hostname, 'clickhouse');
    assert.ok(svc.clickhouse!.ports!.some((m) => m.endsWith(`:${url.port}`)), 'ClickHouse HTTP port');
    assert.equal(p.depends_on?.clickhouse?.condition, 'service_healthy');
  }
  assert.equal(pack.bus.type, 'kafka');
  assert.equal(pack.hooks.dry_run, true, 'containers cannot restart each other: repairs are recorded');
});

test('compose fleet: HAProxy → rsyslog → the file the shipper tails and the processors read', () => {
  const file = pack.sources.files[0]!;
  const logDir = dirname(file);
  assert.deepEqual(pack.sources.files, [file]);
  const lb = pack.haproxy.hosts[pack.sources.host!];
  assert.ok(lb, 'haproxy.hosts lists the shipper\'s host');
  assert.equal(lb.log_file, file);
  // HAProxy sends UDP syslog to rsyslog's fixed address, under its own host name.
  const [, ip, port] = /^\s*log (\d+\.\d+\.\d+\.\d+):(\d+) local0$/m.exec(haproxyCfg) ?? [];
  assert.equal(ip, svc.syslog!.networks?.default?.ipv4_address);
  const subnet = compose.networks.default.ipam.config[0]!.subnet;
  assert.ok(ip!.startsWith(subnet.split('.').slice(0, 2).join('.') + '.'), `${ip} in ${subnet}`);
  assert.match(rsyslogConf, new RegExp(`input\\(type="imudp" port="${port}"\\)`));
  assert.equal(/^\s*log-send-hostname (\S+)$/m.exec(haproxyCfg)?.[1], pack.sources.host);
  assert.match(haproxyCfg, /^\s*option httplog$/m);
  // rsyslog writes local0 to the file, in the format the parser reads; the volume carries it.
  assert.match(rsyslogConf, new RegExp(`local0\\.\\* action\\(type="omfile" file="${file}" template="RSYSLOG_TraditionalFileFormat"\\)`));
  const volume = mountAt(svc.syslog!, logDir);
  assert.ok(volume);
  for (const name of breakwater) assert.equal(mountAt(svc[name]!, logDir), volume, `${name} mounts ${logDir}`);
  assert.ok(svc.shipper!.volumes!.some((v) => v === `${volume}:${logDir}:ro`), 'read-only for the shipper');
  assert.ok(mountAt(svc.shipper!, dirname(pack.sources.checkpoint_file)), 'the checkpoint survives a restart');
});

test('compose fleet: the pack\'s targets are the demo HAProxy\'s runtime API and servers; the load reaches it', () => {
  const lb = pack.haproxy.hosts[pack.sources.host!]!;
  const runtime = parseRuntimeAddress(lb.runtime_socket!);
  assert.ok('host' in runtime && svc[runtime.host], 'runtime API on the haproxy service');
  assert.match(haproxyCfg, new RegExp(`^\\s*stats socket ipv4@0\\.0\\.0\\.0:${runtime.port} level admin$`, 'm'));
  assert.equal(mountAt(svc.haproxy!, lb.config_file!), './deploy/compose/haproxy.cfg');
  const cfgServers = [...haproxyCfg.matchAll(/^\s*server (\S+) (\S+):(\d+) check$/gm)].map((m) => [m[1], m[2], Number(m[3])]);
  const packServers = Object.entries(lb.backends.be_app!.servers).map(([name, s]) => [name, s.ip, s.port]);
  assert.deepEqual(cfgServers, packServers);
  assert.match(haproxyCfg, /^backend be_app$/m);
  for (const [, host] of cfgServers) assert.ok(svc[host as string], `server ${host} is a compose service`);
  const target = new URL(svc.loadgen!.environment!.TARGET_URL!);
  assert.ok(svc[target.hostname]);
  assert.match(haproxyCfg, new RegExp(`^\\s*bind :${target.port}$`, 'm'));
  assert.ok(Number(svc.loadgen!.environment!.RATE) >= 50, 'at least 50 req/s, as the end-to-end tests');
  assert.equal(mountAt(svc.loadgen!, svc.loadgen!.entrypoint![1]!), './deploy/compose/loadgen.sh');
});
