/**
 * The lab's "service manager" client, what a repair hook runs to restart a lab backend server
 * (the lab's stand-in for `systemctl restart`):
 * `node --import tsx restart-backend.ts CONTROL_URL [SERVER]`. The server name defaults to
 * BACKEND_SERVER_NAME, the variable repair hooks receive, the URL to LAB_CONTROL_URL (a per-host hook env). Exits 0 once the server listens again.
 */
const controlUrl = process.argv[2] ?? process.env.LAB_CONTROL_URL;
const server = process.argv[3] ?? process.env.BACKEND_SERVER_NAME;
if (!controlUrl || !server) {
  process.stderr.write('usage: restart-backend.ts [CONTROL_URL [SERVER]] (or LAB_CONTROL_URL, BACKEND_SERVER_NAME set)\n');
  process.exit(2);
}

const res = await fetch(`${controlUrl}/restart?server=${encodeURIComponent(server)}`, { method: 'POST' });
process.stdout.write(`${res.status} ${await res.text()}`);
process.exit(res.ok ? 0 : 1);
