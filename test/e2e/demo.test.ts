import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../src/demo/runner.js';

test('breakwater demo: the alert fires and resolves for the failing server, the runbook runs in dry run, queries answer, in < 30 s', async () => {
  const out: string[] = [];
  const r = await runDemo({ out: (l) => out.push(l) });
  const text = out.join('\n');
  assert.ok(r.elapsedMs < 30_000, `took ${r.elapsedMs} ms`);
  assert.equal(r.events, r.lines, 'every simulated line went through the pipeline');
  assert.match(text, /alert firing +lb1 be_app\/app2/);
  assert.match(text, /alert resolved +lb1 be_app\/app2/);
  assert.deepEqual(
    r.alerts.map((a) => `${a.state} ${a.host} ${a.backend}/${a.server}`),
    ['firing lb1 be_app/app2', 'resolved lb1 be_app/app2'],
  );
  const run = (hook: string) => r.hookRuns.find((h) => h.phase === 'repair' && h.hook === hook);
  assert.equal(run('probe_backend')?.status, 'failed');
  assert.equal(run('restart_backend')?.status, 'dry_run');
  assert.match(String(run('restart_backend')?.detail), /would run/);
  assert.ok(r.hookRuns.some((h) => h.phase === 'diagnostic' && h.status === 'ok'));
  const [around, top] = r.queries;
  assert.equal(around.name, 'termination_around_alert');
  assert.ok(around.rows.some((row) => row.phase === 'during' && row.termination_state === 'SC' && Number(row.conn_failures) > 0));
  assert.equal(top.name, 'top_failing_servers');
  assert.deepEqual([top.rows[0].backend, top.rows[0].server], ['be_app', 'app2']);
});
