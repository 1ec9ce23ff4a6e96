// docker-compose.yml's demo HAProxy config is one the real HAProxy (Debian's 2.6, as the compose
// image) accepts, and the lines rsyslog writes from it parse under the pack's host name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { haproxyBinary } from '../support/services.js';
import { loadPipeline } from '../../src/config/pipeline.js';
import { pipelineParser } from '../../src/ship/parser.js';

test('compose: haproxy -c accepts deploy/compose/haproxy.cfg (backends resolved at run time)', () => {
  const r = spawnSync(haproxyBinary(), ['-c', '-f', 'deploy/compose/haproxy.cfg'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout + r.stderr, /Configuration file is valid/);
});

test('compose: an httplog line as rsyslog writes it (traditional format) parses with lb1 as host', () => {
  const pack = loadPipeline('deploy/compose/fleet.yaml');
  const line = 'Nov 21 03:00:00 lb1 haproxy[8]: 172.28.0.7:41234 [21/Nov/2026:03:00:00.010] fe_web be_app/app2 0/0/-1/-1/1 503 217 - - SC-- 9/9/0/0/1 0/0 "GET / HTTP/1.1"';
  const r = pipelineParser(pack)(line);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual([r.event.host, r.event.backend, r.event.server, r.event.conn_failure], [pack.sources.host, 'be_app', 'app2', true]);
  assert.ok(pack.haproxy.hosts[r.event.host!], 'its alerts find their HAProxy in haproxy.hosts');
});
