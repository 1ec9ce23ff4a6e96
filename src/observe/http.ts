import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics as defaultRegistry, PROMETHEUS_CONTENT_TYPE, type Registry } from './metrics.js';
import { log } from './log.js';

/** A named check: returns null when fine, or the reason it is not. */
export type Check = () => string | null | Promise<string | null>;

export interface ObservabilityServerOptions {
  host?: string;
  /** 0 picks a free port (tests); read the bound one from `port`. */
  port: number;
  registry?: Registry;
  /** /healthz: the process is alive and not stuck. Every check must pass. */
  liveness?: Record<string, Check>;
  /** /readyz: the process does its job (connected to the bus, caught up …). */
  readiness?: Record<string, Check>;
}

export interface ObservabilityServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

async function runChecks(checks: Record<string, Check>): Promise<{ ok: boolean; body: string }> {
  const failures: string[] = [];
  for (const [name, check] of Object.entries(checks)) {
    let reason: string | null;
    try {
      reason = await check();
    } catch (err) {
      reason = (err as Error).message;
    }
    if (reason !== null) failures.push(`${name}: ${reason}`);
  }
  return failures.length ? { ok: false, body: failures.join('\n') + '\n' } : { ok: true, body: 'ok\n' };
}

/**
 * Serves GET /metrics (Prometheus text format), /healthz and /readyz. Bound to 127.0.0.1 unless
 * told otherwise: metrics name hosts and backends, which is nobody else's business.
 */
export async function startObservabilityServer(options: ObservabilityServerOptions): Promise<ObservabilityServer> {
  const registry = options.registry ?? defaultRegistry;
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const reply = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path === '/metrics') {
      reply(200, PROMETHEUS_CONTENT_TYPE, registry.render());
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const checks = (path === '/healthz' ? options.liveness : options.readiness) ?? {};
      runChecks(checks).then(
        (r) => reply(r.ok ? 200 : 503, 'text/plain; charset=utf-8', r.body),
        (err) => reply(500, 'text/plain; charset=utf-8', `${(err as Error).message}\n`),
      );
      return;
    }
    reply(404, 'text/plain; charset=utf-8', 'not found: try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url }, 'observability endpoint listening (/metrics, /healthz, /readyz)');
  return {
    port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
