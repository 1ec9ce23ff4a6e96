import { connect, type Socket } from 'node:net';

/** A runtime API endpoint: a UNIX socket path or a TCP host:port. */
export type RuntimeAddress = { path: string } | { host: string; port: number };

/**
 * Reads `haproxy.runtime_socket`: `/path`, `unix:///path`, `host:port`, `tcp://host:port`,
 * `[::1]:9999`. Anything without a port is a path.
 */
export function parseRuntimeAddress(spec: string): RuntimeAddress {
  const s = spec.trim();
  if (s.startsWith('unix://')) return { path: s.slice('unix://'.length) };
  const tcp = s.startsWith('tcp://') ? s.slice('tcp://'.length) : s;
  const m = /^(?:\[([^\]]+)\]|([^/:]+)):(\d{1,5})$/.exec(tcp);
  if (m) return { host: m[1] ?? m[2], port: Number(m[3]) };
  return { path: s };
}

export function describeAddress(a: RuntimeAddress): string {
  return 'path' in a ? a.path : `${a.host}:${a.port}`;
}

export interface RuntimeCommandOptions {
  timeoutMs: number;
  /** Answer bytes kept; the rest is read and dropped. */
  maxBytes?: number;
}

/**
 * HAProxy names (proxies, servers) are limited to letters, digits, '-', '_', '.' and ':'.
 * Anything else (';', spaces, newlines) could chain runtime API commands, so it is refused.
 */
export function isSafeProxyName(name: string): boolean {
  return /^[A-Za-z0-9_.:-]{1,128}$/.test(name);
}

/**
 * Sends one command in non-interactive mode (HAProxy answers and closes) and returns the answer.
 * The command is written as given plus a newline: callers build it from validated names only.
 */
export function runtimeCommand(address: RuntimeAddress, command: string, opts: RuntimeCommandOptions): Promise<string> {
  if (/[\r\n;]/.test(command)) return Promise.reject(new Error('runtime API command must be a single command'));
  const maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let settled = false;
    const sock: Socket = 'path' in address ? connect({ path: address.path }) : connect({ host: address.host, port: address.port });
    const timer = setTimeout(() => finish(new Error(`runtime API ${describeAddress(address)}: no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    function finish(err: Error | null): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    }
    sock.on('connect', () => sock.write(`${command}\n`));
    sock.on('data', (d: Buffer) => {
      if (kept >= maxBytes) return;
      const part = d.subarray(0, maxBytes - kept);
      chunks.push(part);
      kept += part.length;
    });
    sock.on('end', () => finish(null));
    sock.on('close', () => finish(null));
    sock.on('error', (e) => finish(new Error(`runtime API ${describeAddress(address)}: ${e.message}`)));
  });
}

/** `set server B/S state drain|maint|ready`; HAProxy answers nothing on success, a message on error. */
export async function setServerState(
  address: RuntimeAddress,
  backend: string,
  server: string,
  state: 'drain' | 'maint' | 'ready',
  timeoutMs: number,
): Promise<string> {
  if (!isSafeProxyName(backend) || !isSafeProxyName(server)) throw new Error('backend/server name has characters HAProxy names cannot have');
  const answer = (await runtimeCommand(address, `set server ${backend}/${server} state ${state}`, { timeoutMs })).trim();
  if (answer) throw new Error(`haproxy refused: ${answer}`);
  return `set server ${backend}/${server} state ${state}: done`;
}
