// Kafka mode: the recovery deadline of a repaired incident is watched by the processor owning its
// series' partition only (restored on assignment, released on revocation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Detector } from '../../../src/detect/detector.js';
import { detectorConfig } from '../../../src/config/detector.js';
import { PartitionRecoveries, partitionHolds } from '../../../src/repair/pending.js';
import { RepairDispatcher } from '../../../src/repair/dispatcher.js';
import type { QueryParams } from '../../../src/store/store.js';
import { alertEvent, pipeline, RecordingStore } from './fixtures.js';
import { event, T0 } from '../detect/traffic.js';

/** A detector holding the series of these servers (host lb1, backend be), as a partition's restored state would. */
function partition(...servers: string[]): Detector {
  const d = new Detector(detectorConfig());
  for (const server of servers) d.ingest(event(T0, { server }));
  return d;
}

/** Answers loadPendingRecoveries' two queries: one repaired, unresolved, unverified incident per server. */
class PendingStore extends RecordingStore {
  constructor(private readonly firstAttemptS: number, private readonly servers: string[]) {
    super();
  }
  override async query<T>(sql: string, params?: QueryParams): Promise<T[]> {
    this.queries.push({ sql, params });
    const at = '2026-11-21 00:10:00';
    const rows = sql.includes('first_attempt')
      ? this.servers.map((s) => ({ alert_id: `a-${s}`, first_attempt: String(this.firstAttemptS), first_repair: String(this.firstAttemptS), real_repairs: '1' }))
      : this.servers.map((s) => ({
          ...alertEvent({ alert_id: `a-${s}`, backend: 'be', server: s }),
          fired_at_text: at, at_text: at, first_seen_text: at, last_seen_text: at, requests_text: '100',
        }));
    return rows as T[];
  }
  verified(): string[] {
    return this.runs('verify').map((r) => r.alert_id!).sort();
  }
}

function dispatcher(store: PendingStore, deadlineS: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bw-precov-'));
  const d = new RepairDispatcher({ pipeline: pipeline({ hooks: { verify: { deadline_s: deadlineS } }, notify: { bus: false } }), baseDir: dir, store, bus: null });
  return { d, close: async () => (await d.close(), rmSync(dir, { recursive: true, force: true })) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('partitionHolds: an alert belongs to the partition whose detector holds its series', () => {
  const holds = partitionHolds(partition('web1', 'web3'));
  assert.equal(holds(alertEvent({ host: 'lb1', backend: 'be', server: 'web1' })), true);
  assert.equal(holds(alertEvent({ host: 'lb1', backend: 'be', server: 'web2' })), false);
  assert.equal(holds(alertEvent({ host: 'lb2', backend: 'be', server: 'web1' })), false, 'another host: another series');
});

test('assignment restores only the assigned partitions\' incidents; a passed deadline escalates at once', async () => {
  const store = new PendingStore(Math.floor(Date.now() / 1000) - 120, ['web1', 'web2', 'web3']);
  const { d, close } = dispatcher(store, 60);
  const recoveries = new PartitionRecoveries({ store, watcher: d, lookbackMs: 3600_000 });
  try {
    assert.equal(await recoveries.assigned([partition('web1'), partition('web3', 'web9')]), 2);
    await sleep(50);
    await d.idle();
    assert.deepEqual(store.verified(), ['a-web1', 'a-web3'], 'web2 lives in a partition another processor owns');
    assert.equal(store.runs('verify')[0].status, 'failed');
    assert.equal(await recoveries.assigned([]), 0, 'no partition: no store query');
  } finally {
    await close();
  }
});

test('revocation hands the deadline over without escalating; the next assignment escalates once', async () => {
  // Deadline 1 s after a first attempt at the next whole second: 1-2 s from now.
  const firstAttemptS = Math.ceil(Date.now() / 1000);
  const store = new PendingStore(firstAttemptS, ['web1', 'web2']);
  const { d, close } = dispatcher(store, 1);
  const recoveries = new PartitionRecoveries({ store, watcher: d, lookbackMs: 3600_000 });
  try {
    const p0 = partition('web1');
    const p1 = partition('web2');
    assert.equal(await recoveries.assigned([p0, p1]), 2);
    assert.equal(recoveries.revoked([p0]), 1);
    assert.equal(recoveries.revoked([p0]), 0, 'already handed over');
    await sleep(firstAttemptS * 1000 + 1000 - Date.now() + 200);
    await d.idle();
    assert.deepEqual(store.verified(), ['a-web2'], 'the revoked incident did not escalate here');

    // The partition comes back (a rebalance): its deadline passed meanwhile, so it escalates now, once.
    assert.equal(await recoveries.assigned([p0]), 1);
    await sleep(50);
    await d.idle();
    assert.deepEqual(store.verified(), ['a-web1', 'a-web2']);
  } finally {
    await close();
  }
});
