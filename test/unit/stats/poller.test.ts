import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseStatCsv, serverRows, splitCsvLine } from '../../../src/stats/csv.js';
import { StatsPoller, statusWord, type HealthSignal } from '../../../src/stats/poller.js';
import { healthEventOf } from '../../../src/stats/health-event.js';
import { Detector } from '../../../src/detect/detector.js';
import { detectorConfig } from '../../../src/config/detector.js';
import { parseRuntimeAddress, runtimeCommand, setServerState } from '../../../src/stats/runtime-api.js';
import { HaproxySchema } from '../../../src/config/haproxy.js';
import { StatsSchema } from '../../../src/config/stats.js';
import type { Bus, OutgoingMessage } from '../../../src/bus/bus.js';
import { RecordingStore } from '../repair/fixtures.js';

const HEADER = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,last_chk,';

function csv(web1: { status: string; econ: number; check: string }): string {
  return [
    HEADER,
    'fe,FRONTEND,,,3,5,2000,40,1,2,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,1,0,5,,,,,',
    `app,web1,0,0,1,2,,20,1,2,,0,,${web1.econ},3,0,0,${web1.status},1,1,0,4,1,30,12,,1,3,1,,20,,2,0,,4,${web1.check},,2,"Layer4 connection problem, info: ""Connection refused""",`,
    'app,web2,0,0,2,3,,20,1,2,,0,,0,0,0,0,UP 1/3,1,1,0,0,0,30,0,,1,3,2,,20,,2,0,,4,L7OK,200,1,,',
    'app,BACKEND,0,0,3,5,200,40,1,2,0,0,,5,3,0,0,UP,2,2,0,,1,30,0,,1,3,0,,40,,1,0,,5,,,,,',
    '',
  ].join('\n');
}

test('stats CSV: header names the columns, quoted fields keep their commas, server rows only', () => {
  assert.deepEqual(splitCsvLine('a,"b,c",d""e,"f""g"'), ['a', 'b,c', 'd""e', 'f"g']);
  const rows = serverRows(parseStatCsv(csv({ status: 'DOWN', econ: 7, check: 'L4CON' })));
  assert.deepEqual(rows.map((r) => `${r.pxname}/${r.svname}`), ['app/web1', 'app/web2']);
  assert.equal(rows[0].last_chk, 'Layer4 connection problem, info: "Connection refused"');
  assert.equal(rows[0].check_status, 'L4CON');
  assert.equal(statusWord('UP 1/3'), 'UP');
  assert.equal(statusWord('MAINT (via app/web9)'), 'MAINT');
  assert.equal(statusWord('no check'), 'no check');
  assert.throws(() => parseStatCsv('Unknown command\n'), /header/);
});

test('runtime address: unix paths, host:port, prefixes, IPv6', () => {
  assert.deepEqual(parseRuntimeAddress('/run/haproxy/admin.sock'), { path: '/run/haproxy/admin.sock' });
  assert.deepEqual(parseRuntimeAddress('unix:///tmp/a.sock'), { path: '/tmp/a.sock' });
  assert.deepEqual(parseRuntimeAddress('127.0.0.1:9999'), { host: '127.0.0.1', port: 9999 });
  assert.deepEqual(parseRuntimeAddress('tcp://lb1:9999'), { host: 'lb1', port: 9999 });
  assert.deepEqual(parseRuntimeAddress('[::1]:9999'), { host: '::1', port: 9999 });
});

/** A fake runtime API on a UNIX socket: answers each command from `answer`, then closes. */
async function fakeRuntime(answer: (cmd: string) => string): Promise<{ path: string; commands: string[]; server: Server; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-rt-'));
  const path = join(dir, 'admin.sock');
  const commands: string[] = [];
  const server = createServer((sock) => {
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\n')) {
        const cmd = buf.trim();
        commands.push(cmd);
        sock.end(answer(cmd));
      }
    });
  });
  server.listen(path);
  await once(server, 'listening');
  return { path, commands, server, dir };
}

test('poller: show stat over the socket → deltas, status rows stored and published, health signals', async () => {
  let state = { status: 'UP', econ: 5, check: 'L7OK' };
  const rt = await fakeRuntime(() => csv(state));
  const store = new RecordingStore();
  const published: OutgoingMessage[] = [];
  const healthEvents: OutgoingMessage[] = [];
  const bus = {
    publish: async (topic: string, m: OutgoingMessage[]) => void (topic === 'haproxy.stats' ? published : topic === 'haproxy.events' ? healthEvents : assert.fail(topic)).push(...m),
  } as unknown as Bus;
  const poller = new StatsPoller({
    stats: StatsSchema.parse({ enabled: true, host: 'lb1' }),
    haproxy: HaproxySchema.parse({ runtime_socket: rt.path }),
    bus,
    store,
  });
  try {
    const first = await poller.pollOnce();
    assert.equal(first[0].econ_delta, null, 'no delta on the first poll');
    state = { status: 'DOWN', econ: 12, check: 'L4CON' };
    const iter = poller.signals();
    const second = await poller.pollOnce();
    const web1 = second.find((r) => r.server === 'web1');
    assert.ok(web1);
    assert.equal(web1.status, 'DOWN');
    assert.equal(web1.econ_delta, 7);
    assert.equal(web1.check_status, 'L4CON');
    assert.equal(web1.downtime_s, 12);
    assert.equal(store.serverStatus.length, 4);
    assert.equal(published.length, 4);
    assert.equal(published[3].key, 'lb1|app|web2');
    assert.equal(JSON.parse(String(published[2].value)).status, 'DOWN');
    // Polls not yet consumed are buffered: the first poll comes first.
    const first1 = (await iter.next()).value?.find((s: HealthSignal) => s.server === 'web1');
    assert.equal(first1?.up, true);
    assert.equal(first1?.changed, false);
    const changed = (await iter.next()).value?.find((s: HealthSignal) => s.server === 'web1');
    assert.equal(changed?.up, false);
    assert.equal(changed?.changed, true);
    assert.equal(changed?.previous_status, 'UP');
    assert.equal(changed?.econ_delta, 7);
    assert.equal(poller.latest('app', 'web1')?.status, 'DOWN');
    // A reload resets counters: the new value is the delta.
    state = { status: 'UP', econ: 2, check: 'L7OK' };
    const third = await poller.pollOnce();
    assert.equal(third.find((r) => r.server === 'web1')?.econ_delta, 2);
    assert.deepEqual(rt.commands, ['show stat', 'show stat', 'show stat']);
    // Transitions only: DOWN at the second poll, back UP at the third.
    assert.deepEqual(healthEvents.map((m) => [m.key, JSON.parse(String(m.value)).health.state]), [['lb1|app|web1', 'DOWN'], ['lb1|app|web1', 'UP']]);
  } finally {
    await poller.stop();
    rt.server.close();
    rmSync(rt.dir, { recursive: true, force: true });
  }
});

test('runtime API: set server state sends one command; names that could chain commands are refused', async () => {
  const rt = await fakeRuntime((cmd) => (cmd.includes('nosuch') ? 'No such server.\n' : '\n'));
  try {
    const addr = parseRuntimeAddress(rt.path);
    assert.match(await setServerState(addr, 'app', 'web1', 'drain', 1000), /done/);
    await assert.rejects(setServerState(addr, 'app', 'nosuch', 'ready', 1000), /No such server/);
    await assert.rejects(setServerState(addr, 'app', 'web1;shutdown sessions server app/web2', 'maint', 1000), /characters/);
    await assert.rejects(setServerState(addr, 'app\nshow info', 'web1', 'maint', 1000), /characters/);
    await assert.rejects(runtimeCommand(addr, 'show stat\nshutdown frontend fe', { timeoutMs: 1000 }), /single command/);
    assert.deepEqual(rt.commands, ['set server app/web1 state drain', 'set server app/nosuch state ready']);
    await assert.rejects(runtimeCommand({ path: join(rt.dir, 'missing.sock') }, 'show stat', { timeoutMs: 500 }), /ENOENT/);
  } finally {
    rt.server.close();
    rmSync(rt.dir, { recursive: true, force: true });
  }
});

test('poller: stats page CSV over HTTP with basic auth from env', async () => {
  const { createServer: createHttp } = await import('node:http');
  let auth = '';
  const srv = createHttp((req, res) => {
    auth = req.headers.authorization ?? '';
    res.end(csv({ status: 'MAINT', econ: 0, check: '' }));
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  process.env.BW_TEST_STATS_PW = 's3cret-pw';
  try {
    const poller = new StatsPoller({
      stats: StatsSchema.parse({ source: 'http', url: `http://127.0.0.1:${port}/stats;csv`, username: 'admin', password_env: 'BW_TEST_STATS_PW', host: 'lb1' }),
      haproxy: HaproxySchema.parse({}),
    });
    const rows = await poller.pollOnce();
    assert.equal(rows[0].status, 'MAINT');
    assert.equal(poller.latest('app', 'web1')?.up, true, 'MAINT is deliberate, not down');
    assert.equal(auth, `Basic ${Buffer.from('admin:s3cret-pw').toString('base64')}`);
  } finally {
    delete process.env.BW_TEST_STATS_PW;
    srv.close();
  }
});

test('health events from the poller fire and resolve server_down in the real detector', () => {
  const signal = (at: string, status: string, previous: string | null): HealthSignal => ({
    at, host: 'lb1', backend: 'app', server: 'web1', status, up: status !== 'DOWN', previous_status: previous, changed: previous !== null && previous !== status, check_status: 'L4CON', econ_delta: 0, eresp_delta: 0,
  });
  assert.equal(healthEventOf(signal('2026-11-21T00:00:00.000Z', 'UP', null)), null);
  assert.equal(healthEventOf(signal('2026-11-21T00:00:00.000Z', 'DOWN', 'DOWN')), null, 'no event while it stays DOWN');
  const down = healthEventOf(signal('2026-11-21T00:00:02.000Z', 'DOWN', null));
  assert.ok(down);
  assert.equal(down.kind, 'health');
  assert.equal(down.health?.state, 'DOWN');
  const d = new Detector(detectorConfig());
  d.ingest(down);
  d.advanceTo(Date.parse('2026-11-21T00:00:10.000Z'));
  const fired = d.drainAlerts();
  assert.deepEqual(fired.map((a) => [a.state, a.rule, a.backend, a.server]), [['firing', 'server_down', 'app', 'web1']]);
  const up = healthEventOf(signal('2026-11-21T00:00:20.000Z', 'UP', 'DOWN'));
  assert.ok(up);
  d.ingest(up);
  d.advanceTo(Date.parse('2026-11-21T00:05:00.000Z'));
  assert.deepEqual(d.drainAlerts().map((a) => a.state), ['resolved']);
});
