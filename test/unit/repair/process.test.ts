import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../../../src/repair/process.js';
import { CappedOutput } from '../../../src/repair/output.js';
import { tailMatching } from '../../../src/repair/log-tail.js';
import { writeFileSync } from 'node:fs';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

test('runProcess: exit code and output, arguments are never interpreted by a shell', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-proc-'));
  try {
    const sentinel = join(dir, 'pwned');
    const r = await runProcess(['echo', `$(touch ${sentinel})`, `;touch ${sentinel}`, '`id`'], { env, timeoutMs: 5000, outputCapBytes: 1000 });
    assert.equal(r.exitCode, 0);
    assert.equal(r.output, `$(touch ${sentinel}) ;touch ${sentinel} \`id\`\n`);
    assert.equal(existsSync(sentinel), false);
    const f = await runProcess(['sh', '-c', 'echo oops >&2; exit 3'], { env, timeoutMs: 5000, outputCapBytes: 1000 });
    assert.equal(f.exitCode, 3);
    assert.equal(f.output, 'oops\n');
    const missing = await runProcess(['/nonexistent/prog'], { env, timeoutMs: 1000, outputCapBytes: 100 });
    assert.match(missing.spawnError ?? '', /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runProcess: a timeout kills the whole process group, grandchildren included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-proc-'));
  try {
    const late = join(dir, 'late');
    // The grandchild would create `late` after 2 s if it survived the group kill.
    const started = Date.now();
    const r = await runProcess(['sh', '-c', `(sleep 2; touch ${late}) & sleep 30`], { env, timeoutMs: 300, outputCapBytes: 100, killGraceMs: 200 });
    assert.equal(r.timedOut, true);
    assert.ok(Date.now() - started < 3000);
    await new Promise((res) => setTimeout(res, 2500));
    assert.equal(existsSync(late), false, 'grandchild killed with its group');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('output cap keeps the head and the tail', async () => {
  const out = new CappedOutput(20);
  out.push('0123456789');
  out.push('abcdefghij'.repeat(5));
  out.push('XYZ');
  const s = out.toString();
  assert.ok(s.startsWith('0123456789'));
  assert.ok(s.endsWith('ghijXYZ'.slice(-10)));
  assert.match(s, /\[43 bytes dropped\]/);
  const r = await runProcess(['sh', '-c', 'yes | head -c 100000'], { env, timeoutMs: 5000, outputCapBytes: 64 });
  assert.ok(r.output.length < 120);
});

test('log tail: last matching lines, found from the end without reading everything', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-log-'));
  try {
    const file = join(dir, 'haproxy.log');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} fe ${i % 2 ? 'app/web1' : 'app/web2'} 0/0/-1/-1/3 503 SC--`);
    writeFileSync(file, lines.join('\n') + '\n');
    const got = await tailMatching(file, 'app/web1', 3, 1 << 20);
    assert.deepEqual(got.map((l) => l.split(' ')[1]), ['4995', '4997', '4999']);
    const window = await tailMatching(file, 'app/web2', 1000, 200);
    assert.ok(window.length > 0 && window.length < 5);
    assert.ok(window.every((l) => l.startsWith('line ')), 'partial first line dropped');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
