/**
 * `parse --summary` in blocks on several threads (summary-parts.ts) through the built CLI (run
 * `npm run build` first; `npm test` does): the same summary and the same rejects, in the same
 * order with the same line numbers, as one thread reading the file line after line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httplogBody, mutate, pick, requestLine, rng, tcplogBody } from '../haproxy/generate.js';

const CLI = join(import.meta.dirname, '../../../bin/breakwater.js');

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bw-parts-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function summary(path: string, env: Record<string, string>) {
  const r = spawnSync(process.execPath, [CLI, 'parse', '--summary', path], {
    env: { ...process.env, BREAKWATER_PARALLEL_MIN_BYTES: '1', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

test('blocks taken by several threads = one thread: counts, last states, rejects and their line numbers', () => {
  const r = rng(5);
  const prefix = 'Nov 20 09:00:01 lb1 haproxy[812]: ';
  const lines: string[] = [];
  for (let i = 0; i < 6000; i++) {
    const x = r();
    if (x < 0.6) lines.push(prefix + httplogBody(r));
    else if (x < 0.7) lines.push(prefix + tcplogBody(r));
    else if (x < 0.8) lines.push(requestLine(r));
    else if (x < 0.9) lines.push(mutate(r, prefix + httplogBody(r)));
    else if (x < 0.95) lines.push(`${prefix}Server ${pick(r, ['app', 'api'])}/s${i % 3} is ${pick(r, ['DOWN', 'UP'])}, reason: Layer4 check passed, check duration: 0ms.`);
    else lines.push(pick(r, ['', 'junk', prefix + httplogBody(r) + '\r']));
  }
  lines[3000] = 'x'.repeat(1024 * 1024 + 10); // over the 1 MiB line limit
  const path = join(dir, 'mixed.log');
  writeFileSync(path, lines.join('\n') + '\nunterminated last line');

  const one = summary(path, { BREAKWATER_SUMMARY_THREADS: '1' });
  assert.equal(one.status, 0, one.stderr);
  const got = JSON.parse(one.stdout);
  assert.equal(got.lines, lines.length + 1);
  assert.ok(got.rejects > 100 && Object.values(got.servers).some((s) => (s as { last_state: string | null }).last_state !== null));
  assert.match(one.stderr, /mixed\.log:3001: line longer than 1 MiB/);
  for (const [threads, block] of [['2', '4096'], ['3', '65536'], ['2', '100000000']]) {
    const many = summary(path, { BREAKWATER_SUMMARY_THREADS: threads, BREAKWATER_SUMMARY_BLOCK_BYTES: block });
    assert.equal(many.status, 0, many.stderr);
    assert.equal(many.stdout, one.stdout, `${threads} threads, ${block}-byte blocks`);
    assert.equal(many.stderr, one.stderr, `${threads} threads, ${block}-byte blocks`);
  }
});
