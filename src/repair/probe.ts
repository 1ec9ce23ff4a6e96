import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (r: ProbeResult) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, detail: `tcp ${host}:${port}: no connection within ${timeoutMs} ms` }), timeoutMs);
    sock.on('connect', () => done({ ok: true, detail: `tcp ${host}:${port}: connected in ${Date.now() - started} ms` }));
    sock.on('error', (e) => done({ ok: false, detail: `tcp ${host}:${port}: ${e.message}` }));
  });
}

/** GET url; healthy on a 2xx or 3xx status, whatever the HTTP version (redirects not followed). */
export function httpProbe(url: string, timeoutMs: number): Promise<ProbeResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve({ ok: false, detail: `http: invalid URL` });
      return;
    }
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(u, { method: 'GET', timeout: timeoutMs, headers: { 'user-agent': 'breakwater-probe', connection: 'close' } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 400;
      resolve({ ok, detail: `http ${u.host}${u.pathname}: HTTP/${res.httpVersion} ${status} in ${Date.now() - started} ms` });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ ok: false, detail: `http ${u.host}${u.pathname}: ${e.message}` }));
    req.end();
  });
}

/** The runbook's "does the backend answer": TCP connect, then (when a URL is known) HTTP. */
export async function probeBackend(
  target: { ip: string | null; port: number | null; url: string | null },
  opts: { timeoutMs: number; http: boolean },
): Promise<ProbeResult> {
  if (target.ip === null || target.port === null) return { ok: false, detail: 'no address known for the server (haproxy.backends or runtime API)' };
  const tcp = await tcpProbe(target.ip, target.port, opts.timeoutMs);
  if (!tcp.ok || !opts.http || !target.url) return tcp;
  const http = await httpProbe(target.url, opts.timeoutMs);
  return { ok: http.ok, detail: `${tcp.detail}\n${http.detail}` };
}
