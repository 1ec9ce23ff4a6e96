import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backfill } from '../../../src/ship/backfill.js';
import { formatProgress } from '../../../src/ship/progress.js';
import { createParser } from '../../../src/haproxy/parser.js';
import { SourcesSchema } from '../../../src/config/sources.js';
import { detectorConfig } from '../../../src/config/detector.js';
import type { Store, RejectRow } from '../../../src/store/store.js';
import type { HaproxyEvent } from '../../../src/haproxy/event.js';
import { generateHttpLogLines } from '../../../bench/gen-lines.js';

function recordingStore() {
  const events: HaproxyEvent[] = [];
  const rejects: RejectRow[] = [];
  const store = {
    insertEvents: async (e: HaproxyEvent[]) => void events.push(...e),
    insertRejects: async (r: RejectRow[]) => void rejects.push(...r),
    insertAlert: async () => undefined,
    flush: async () => undefined,
  } as unknown as Store;
  return { store, events, rejects };
}

test('backfill reads plain and gzip archives start to end, stores events and rejects with stable ids', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-backfill-'));
  try {
    const lines = [...generateHttpLogLines(3000)];
    const plain = join(dir, 'haproxy.log.1');
    const gz = join(dir, 'haproxy.log.2.gz');
    writeFileSync(gz, gzipSync(lines.slice(0, 1500).join('\n') + '\nnot a log line\n'));
    writeFileSync(plain, lines.slice(1500).join('\n')); // no final newline: the last line still counts
    const { store, events, rejects } = recordingStore();
    const job = new Backfill({ files: [gz, plain], parse: createParser(), sources: SourcesSchema.parse({ host: 'lb1' }), detector: detectorConfig(), store, batchSize: 500 });
    const summary = await job.run();
    assert.deepEqual({ ...summary, alerts: [] }, { lines: 3001, events: 3000, rejects: 1, alerts: [] });
    assert.ok(Array.isArray(summary.alerts));
    assert.equal(events.length, 3000);
    assert.equal(new Set(events.map((e) => e.event_id)).size, 3000);
    assert.deepEqual([events[0].source, events[0].raw_offset], [gz, 0]);
    assert.equal(events[1500].source, plain);
    assert.deepEqual([rejects[0].raw, rejects[0].host, rejects[0].source], ['not a log line', 'lb1', gz]);
    const p = job.progress();
    assert.equal(p.bytesDone, p.bytesTotal);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('progress shows percent by bytes, lines/s and an ETA', () => {
  const text = formatProgress({ lines: 50_000, bytesDone: 25, bytesTotal: 100 }, 10, 8);
  assert.equal(text, '[##......]  25.0%  50,000 lines  5,000 lines/s  ETA 0:30');
});
