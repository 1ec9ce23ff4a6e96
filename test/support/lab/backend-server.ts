/**
 * One lab backend server, run as its own process so a test can kill -9 it:
 * `node --import tsx backend-server.ts PORT NAME`. Prints "ready" once listening.
 * GET /health answers 200 (HAProxy's httpchk), /missing… answers 404, anything else 200 with
 * a small JSON body naming the server.
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const name = process.argv[3] ?? 'server';
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: backend-server.ts PORT NAME\n');
  process.exit(2);
}

const server = createServer((req, res) => {
  req.resume();
  const path = req.url ?? '/';
  if (path.startsWith('/missing')) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ server: name, path }) + '\n');
});
server.keepAliveTimeout = 5000;
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
