import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';

export { freePort } from '../../support/haproxy-lab.js';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local webhook receiver; `respond` decides each answer (default 200 "ok"). */
export async function webhookReceiver(respond?: (r: Received, n: number) => { status: number; body?: string; delayMs?: number }) {
  const received: Received[] = [];
  let inflight = 0;
  let maxInflight = 0;
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    inflight++;
    maxInflight = Math.max(maxInflight, inflight);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const r = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
    received.push(r);
    const answer = respond?.(r, received.length) ?? { status: 200, body: 'ok' };
    if (answer.delayMs) await new Promise((ok) => setTimeout(ok, answer.delayMs));
    inflight--;
    res.statusCode = answer.status;
    res.end(answer.body ?? '');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    maxInflight: () => maxInflight,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}
