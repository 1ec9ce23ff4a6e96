import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandGlob, globRegExp } from '../../../src/ship/glob.js';
import { loadCheckpoint, saveCheckpoint } from '../../../src/ship/checkpoint.js';
import { identify, samePrefix, eventId, eventIdPrefix } from '../../../src/ship/identity.js';

test('globs match per path segment, skip dot files and directories, and sort', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-glob-'));
  try {
    for (const d of ['lb1', 'lb2']) mkdirSync(join(dir, d));
    for (const f of ['lb1/haproxy.log', 'lb1/haproxy.log.1', 'lb2/haproxy.log', 'lb2/.hidden.log', 'lb2/other.txt']) writeFileSync(join(dir, f), '');
    mkdirSync(join(dir, 'lb2', 'dir.log'));
    assert.deepEqual(await expandGlob(join(dir, 'lb?/*.log')), [join(dir, 'lb1/haproxy.log'), join(dir, 'lb2/haproxy.log')]);
    assert.deepEqual(await expandGlob(join(dir, 'lb1/haproxy.log*')), [join(dir, 'lb1/haproxy.log'), join(dir, 'lb1/haproxy.log.1')]);
    assert.deepEqual(await expandGlob(join(dir, 'lb[2]/haproxy.log')), [join(dir, 'lb2/haproxy.log')]);
    assert.ok(globRegExp('/var/log/*.log').test('/var/log/haproxy.log'));
    assert.ok(!globRegExp('/var/log/*.log').test('/var/log/x/haproxy.log'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpoints are replaced atomically and read back; no temp file is left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-cp-'));
  try {
    const path = join(dir, 'sub', 'cp.json');
    assert.equal(await loadCheckpoint(path), null);
    const state = { version: 1 as const, patterns: ['/x'], saved_at: 'now', files: [{ path: '/x', dev: 1, ino: 2, fingerprint: 'ab', fingerprintBytes: 3, fileId: '1:2:ab', offset: 42 }] };
    await saveCheckpoint(path, state);
    await saveCheckpoint(path, { ...state, files: [{ ...state.files[0], offset: 43 }] });
    assert.equal((await loadCheckpoint(path))!.files[0].offset, 43);
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['cp.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('identity: fingerprint of the first bytes detects new content under the same inode; ids are 32 hex and per offset', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-id-'));
  try {
    const path = join(dir, 'f');
    writeFileSync(path, 'first line\nsecond\n');
    const fh = await open(path, 'r+');
    const id = await identify(fh, 8);
    assert.equal(id.fingerprintBytes, 8);
    assert.ok(await samePrefix(fh, id));
    await fh.write(Buffer.from('FIRST'), 0, 5, 0);
    assert.ok(!(await samePrefix(fh, id)));
    await fh.close();
    const p = eventIdPrefix('lb1', id.fileId);
    assert.match(eventId(p, 0), /^[0-9a-f]{32}$/);
    assert.notEqual(eventId(p, 11), eventId(p, 12));
    assert.notEqual(eventIdPrefix('lb2', id.fileId), p);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
