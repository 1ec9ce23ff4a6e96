// test/support/services.ts: names for isolation and the HAProxy binary locators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { halogBinary, haproxyBinary, uniqueName } from '../../support/services.js';

test('uniqueName gives distinct names valid for topics, groups and databases', () => {
  const names = new Set(Array.from({ length: 1000 }, () => uniqueName('smoke')));
  assert.equal(names.size, 1000);
  for (const name of names) assert.match(name, /^smoke_[a-z0-9]+_[0-9a-f]{8}$/);
  assert.throws(() => uniqueName('bad-prefix'), /prefix/);
  assert.throws(() => uniqueName(''), /prefix/);
});

test('haproxyBinary and halogBinary find the installed HAProxy 2.x and halog', () => {
  const version = spawnSync(haproxyBinary(), ['-v'], { encoding: 'utf8' });
  assert.equal(version.status, 0);
  assert.match(version.stdout, /HAProxy version 2\./);
  // halog reads a log on stdin; an empty one still gives the per-server table's header.
  const halog = spawnSync(halogBinary(), ['-srv'], { input: '', encoding: 'utf8' });
  assert.equal(halog.status, 0, halog.stderr);
  assert.match(halog.stdout, /^#srv_name 1xx 2xx 3xx 4xx 5xx/);
});

test('the locators fail loudly on a wrong override', () => {
  const saved = process.env.HALOG_BIN;
  process.env.HALOG_BIN = '/nonexistent/halog';
  try {
    assert.throws(() => halogBinary(), /HALOG_BIN=\/nonexistent\/halog is not an executable file/);
  } finally {
    if (saved === undefined) delete process.env.HALOG_BIN;
    else process.env.HALOG_BIN = saved;
  }
});
