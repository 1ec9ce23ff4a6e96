import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { HaproxyLab } from '../support/haproxy-lab.js';
import { haproxyBinary } from '../support/services.js';
import { toFileLine } from '../support/lab/syslog.js';

const HTTPLOG = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d lab-lb1 haproxy\[\d+\]: 127\.0\.0\.1:\d+ \[\d\d\/\w{3}\/\d{4}:[\d:.]+\] fe_web be_app\/(\S+) [-\d]+\/[-\d]+\/[-\d]+\/[-\d]+\/\d+ (\d{3}) \d+ - - (\S{4}) [\d/]+ \d+\/\d+ "GET \S+ HTTP\/1\.1"$/;

const execFileAsync = promisify(execFile);

let lab: HaproxyLab;
before(async () => {
  lab = await HaproxyLab.start();
});
after(async () => {
  await lab?.stop();
});

test('syslog datagrams become rsyslog-style file lines', () => {
  assert.equal(toFileLine('<134>Nov  2 00:10:00 lb1 haproxy[12]: hello\n', 'x'), 'Nov  2 00:10:00 lb1 haproxy[12]: hello');
  assert.equal(toFileLine('<134>Nov 21 00:10:00 haproxy[12]: hello', 'lb9'), 'Nov 21 00:10:00 lb9 haproxy[12]: hello');
});

test('the generated config is valid for haproxy -c', () => {
  const r = spawnSync(haproxyBinary(), ['-c', '-f', lab.configPath], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(lab.socketPath), 'runtime API socket exists');
});

test('traffic flows through all three servers at >= 50 req/s and is logged as httplog lines', async () => {
  const started = Date.now();
  const stats = await lab.load({ rate: 60, durationMs: 2000 }).done;
  const seconds = (Date.now() - started) / 1000;
  assert.ok(stats.sent >= 110, `sent ${stats.sent}`);
  assert.ok(stats.sent / seconds >= 50, `rate ${stats.sent / seconds}/s`);
  assert.ok((stats.byStatus['200'] ?? 0) > 80, JSON.stringify(stats.byStatus));
  assert.ok((stats.byStatus['404'] ?? 0) > 0, 'a few 404s');
  assert.equal(stats.byStatus.error, undefined);
  await lab.waitForLog(/ 404 /);
  const lines = lab.logLines().filter((l) => HTTPLOG.test(l));
  assert.ok(lines.length >= stats.sent * 0.95, `${lines.length} httplog lines for ${stats.sent} requests`);
  const servers = new Set(lines.map((l) => HTTPLOG.exec(l)![1]));
  assert.deepEqual([...servers].sort(), ['app1', 'app2', 'app3']);
});

test('kill -9 of one server: SC 503 lines, then "Server be_app/app2 is DOWN", then UP after restart', async () => {
  const run = lab.load({ rate: 80, durationMs: 8000 });
  await new Promise((r) => setTimeout(r, 300));
  await lab.killServer(1);
  assert.equal(lab.serverRunning(1), false);
  const down = await lab.waitForLog(/Server be_app\/app2 is DOWN/, 5000);
  assert.match(down, /lab-lb1 haproxy\[\d+\]: /);
  // HAProxy retries a refused connection after a 1 s turn-around, so these land around the DOWN line.
  await lab.waitForLog(/ be_app\/app2 0\/0\/-1\/-1\/\d+ 503 \d+ - - SC-- /, 5000);
  await lab.restartServer(1);
  await lab.waitForLog(/Server be_app\/app2 is UP/, 5000);
  const stats = await run.stop();
  assert.ok((stats.byStatus['503'] ?? 0) >= 1, JSON.stringify(stats.byStatus));
});

test('the restart argv given to repair hooks restarts a killed server by BACKEND_SERVER_NAME', async () => {
  await lab.killServer(2);
  const [cmd, ...args] = lab.restartArgv();
  // Async: the lab's control endpoint lives in this process.
  const r = await execFileAsync(cmd, args, { env: { PATH: process.env.PATH, BACKEND_SERVER_NAME: 'app3' } });
  assert.match(r.stdout, /restarted app3/);
  assert.equal(lab.serverRunning(2), true);
});
