/**
 * `breakwater run`'s composition with KAFKA_BROKERS and CLICKHOUSE_URL set: the same process,
 * on the fleet's engines (real Kafka, real ClickHouse server), detector state in the compacted
 * state topic. Unique topic prefix and database, dropped afterwards.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineSchema } from '../../src/config/pipeline.js';
import { PipelineRuntime } from '../../src/run/pipeline-runtime.js';
import { demoTrafficOptions, writeTrafficFile } from '../../src/demo/traffic.js';
import { clickhouseUrl, kafkaBrokers, uniqueName } from '../support/services.js';
import { dropTestResources } from '../support/cleanup.js';

const dir = mkdtempSync(join(tmpdir(), 'bw-run-services-'));
const prefix = `${uniqueName('bw_run')}.`;
const database = uniqueName('bw_run');
let runtime: PipelineRuntime | undefined;
let brokers: string[] = [];
let chUrl = '';

after(async () => {
  await runtime?.stop();
  await dropTestResources({ brokers, topicPrefix: prefix, clickhouseUrl: chUrl, database });
  rmSync(dir, { recursive: true, force: true });
});

test('run on Kafka + ClickHouse server: every line stored, one incident fired and resolved', async () => {
  [brokers, chUrl] = await Promise.all([kafkaBrokers(), clickhouseUrl()]);
  const log = join(dir, 'haproxy.log');
  const traffic = demoTrafficOptions({ durationS: 150, rate: 30 });
  traffic.incidents = [{ ...traffic.incidents[0], atS: 70, degradedS: 5, deadS: 10 }];
  const truth = await writeTrafficFile(log, traffic);
  const pipeline = PipelineSchema.parse({
    name: 'run-services',
    sources: { files: [log], start_at: 'beginning', checkpoint_file: join(dir, 'checkpoint.json'), host: 'test', poll_interval_ms: 50 },
    bus: { kafka: { topic_prefix: prefix, partitions: 3, linger_ms: 5 } },
    store: { database, batch_ms: 200 },
    http: { enabled: false },
    hooks: { diagnostics: { enabled: false } },
  });
  const alerts: string[] = [];
  runtime = await PipelineRuntime.start({
    pipeline,
    baseDir: dir,
    env: { ...process.env, KAFKA_BROKERS: brokers.join(','), CLICKHOUSE_URL: chUrl, CLICKHOUSE_DATABASE: database },
    groupId: uniqueName('bw_run_group'),
    onAlert: (a) => alerts.push(`${a.state} ${a.host} ${a.backend}/${a.server}`),
  });
  assert.equal(runtime.busKind, 'kafka');
  const deadline = Date.now() + 90_000;
  while (runtime.processor.stats.events < truth.lines) {
    assert.ok(Date.now() < deadline, `processed ${runtime.processor.stats.events} of ${truth.lines} within 90 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(alerts, ['firing lb1 be_app/app2', 'resolved lb1 be_app/app2']);
  await runtime.store.flush();
  const [{ n }] = await runtime.store.query<{ n: string }>('SELECT count() AS n FROM (SELECT DISTINCT event_id FROM haproxy_events)');
  assert.equal(Number(n), truth.lines);
  const states = await runtime.store.query<{ state: string }>('SELECT state FROM alerts ORDER BY at');
  assert.deepEqual(states.map((r) => r.state), ['firing', 'resolved']);
});
