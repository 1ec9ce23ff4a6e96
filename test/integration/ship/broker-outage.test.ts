import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, stopService } from '../../support/service-control.js';
import { Collector, appendSlowly, setup, shipperStarted, sleep, spawnShipper, stopShipper, until } from './harness.js';

test('Kafka stopped for 20 s mid-stream and restarted: the shipper waits, retries and loses no line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-outage-'));
  const log = join(dir, 'haproxy.log');
  writeFileSync(log, '');
  const s = await setup(dir, [log], { sources: { max_inflight_bytes: 1024 * 1024 } });
  const shipper = spawnShipper(s);
  const collector = new Collector(s);
  let brokerDown = false;
  try {
    await shipperStarted(shipper);
    const N = 40_000;
    const writing = appendSlowly(log, 0, N, 500, 300); // ~24 s of steady appends
    await sleep(2000);
    await stopService('kafka');
    brokerDown = true;
    await sleep(20_000);
    await startService('kafka');
    brokerDown = false;
    await writing;
    assert.equal(shipper.child.exitCode, null, 'the shipper kept running through the outage');
    await collector.start();
    await until(() => collector.distinct() === N, 90_000, 'all lines after the outage', () => `(${collector.distinct()} of ${N}) ${collector.missing(N)}`);
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(shipper.stderr())?.[1];
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const errors = Number(/breakwater_bus_send_errors_total\{bus="kafka"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    assert.ok(errors > 0, 'sends failed while the broker was down (and were retried)');
    assert.equal(await stopShipper(shipper), 0);
  } finally {
    if (brokerDown) await startService('kafka');
    shipper.child.kill('SIGKILL');
    await collector.stop();
    await collector.dropTopics();
    rmSync(dir, { recursive: true, force: true });
  }
});
