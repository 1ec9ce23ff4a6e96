import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/breakwater.js', ...args], { encoding: 'utf8' });

test('top-level --help lists the commands and exits 0', () => {
  const r = cli('--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /commands:/);
  assert.match(r.stdout, /\bparse\b/);
});

test('unknown command exits 2 with the command list on stderr', () => {
  const r = cli('no-such-command');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'no-such-command'/);
});

test('unknown flag is a usage error (exit 2) naming the flag', () => {
  const r = cli('parse', '--no-such-flag');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--no-such-flag/);
});
