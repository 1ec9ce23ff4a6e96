import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { httpProbe, probeBackend } from '../../../src/repair/probe.js';
import { freePort } from '../../support/haproxy-lab.js';

/** A raw TCP server answering every request with `response` (any HTTP version), or never. */
async function rawHttp(response: string | null) {
  const srv = createServer((sock) => {
    sock.once('data', () => {
      if (response !== null) sock.end(response);
    });
    sock.on('error', () => undefined);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return { port: (srv.address() as { port: number }).port, close: () => srv.close() };
}

test('probe: 2xx/3xx on HTTP/1.0 and 1.1 are healthy; 5xx, silence and refusals are not', async () => {
  const cases: Array<[string | null, boolean, RegExp]> = [
    ['HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok', true, /HTTP\/1\.0 200/],
    ['HTTP/1.1 302 Found\r\nLocation: /login\r\nContent-Length: 0\r\n\r\n', true, /HTTP\/1\.1 302/],
    ['HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n', false, /503/],
    [null, false, /no answer within 300 ms/],
  ];
  for (const [response, ok, detail] of cases) {
    const srv = await rawHttp(response);
    try {
      const r = await httpProbe(`http://127.0.0.1:${srv.port}/health`, 300);
      assert.equal(r.ok, ok, `${response}: ${r.detail}`);
      assert.match(r.detail, detail);
    } finally {
      srv.close();
    }
  }
  const closed = await freePort();
  const refused = await probeBackend({ ip: '127.0.0.1', port: closed, url: `http://127.0.0.1:${closed}/` }, { timeoutMs: 500, http: true });
  assert.equal(refused.ok, false);
  assert.match(refused.detail, /ECONNREFUSED/);
  assert.match((await probeBackend({ ip: null, port: null, url: null }, { timeoutMs: 100, http: true })).detail, /no address known/);
});
