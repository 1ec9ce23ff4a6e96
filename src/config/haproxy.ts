import { z } from 'zod';
import { envName } from './notify.js';

/** Where one backend server lives and how to reach it: what hooks get as BACKEND_SERVER_*. */
export const ServerTargetSchema = z
  .object({
    ip: z.string().min(1).optional().describe('Address of the server (BACKEND_SERVER_IP). Absent: taken from the runtime API (`show servers state`) when it answers.'),
    port: z.number().int().min(1).max(65535).optional().describe('Port of the server (BACKEND_SERVER_PORT). Absent: taken from the runtime API.'),
    health_url: z.url().optional().describe('URL probed over HTTP by diagnostics and probe_backend (BACKEND_SERVER_URL). Absent: http://IP:PORT/.'),
    service: z.string().min(1).optional().describe('Service name restart hooks act on (BACKEND_SERVICE_NAME). Absent: the backend\'s service.'),
  })
  .strict();

export const BackendTargetSchema = z
  .object({
    service: z.string().min(1).optional().describe('Service name shared by the backend\'s servers (BACKEND_SERVICE_NAME) unless a server sets its own.'),
    servers: z.record(z.string(), ServerTargetSchema).default({}).describe('Servers of this backend by their HAProxy name.'),
  })
  .strict();

const hookEnv = z
  .record(envName, z.string())
  .describe('Extra environment variables for the hook programs acting on this HAProxy (e.g. the address to ssh to).');

const backends = z
  .record(z.string(), BackendTargetSchema)
  .describe('Per-backend server targets by HAProxy backend name: ip, port, health URL and service name given to diagnostics and hooks.');

/** What one load balancer of a fleet changes from the section's top-level settings. */
export const HostTargetSchema = z
  .object({
    binary: z.string().min(1).optional().describe('HAProxy executable on the machine running the hooks, for this host\'s config check. Absent: haproxy.binary.'),
    config_file: z.string().min(1).optional().describe('This host\'s HAProxy configuration file as the hooks see it. Absent: haproxy.config_file.'),
    log_file: z.string().min(1).optional().describe('This host\'s HAProxy log file as the processor sees it (diagnostics read its tail). Absent: haproxy.log_file.'),
    runtime_socket: z
      .string()
      .min(1)
      .optional()
      .describe('This host\'s runtime API: host:port of a TCP `stats socket` (or a UNIX path reachable from here). Absent: haproxy.runtime_socket.'),
    runtime_timeout_ms: z.number().int().positive().optional().describe('Timeout of one runtime API command on this host. Absent: haproxy.runtime_timeout_ms.'),
    backends: backends.default({}).describe('This host\'s backend servers; merged over haproxy.backends per backend and per server (a server listed here replaces the top-level entry).'),
    env: hookEnv.default({}).describe('Extra environment variables for hooks acting on this host, merged over haproxy.env.'),
  })
  .strict();

/** The `haproxy` section of a pipeline file: the load balancer(s) the pack watches and repairs. */
export const HaproxySchema = z
  .object({
    binary: z.string().min(1).default('haproxy').describe('HAProxy executable, used for `haproxy -c -f CONFIG` (config validation).'),
    config_file: z.string().min(1).default('/etc/haproxy/haproxy.cfg').describe('HAProxy configuration file (validated by diagnostics, HAPROXY_CONFIG for hooks).'),
    log_file: z.string().min(1).default('/var/log/haproxy.log').describe('HAProxy log file; diagnostics read its tail for the alerting backend/server.'),
    runtime_socket: z
      .string()
      .min(1)
      .default('/run/haproxy/admin.sock')
      .describe('Runtime API socket: a UNIX socket path, or host:port for a TCP `stats socket` (`tcp://` and `unix://` prefixes accepted). Needs `level admin` for haproxy_runtime hooks.'),
    runtime_timeout_ms: z.number().int().positive().default(3000).describe('Timeout of one runtime API command (connect + answer).'),
    backends: backends.default({}),
    env: hookEnv.default({}),
    hosts: z
      .record(z.string().min(1), HostTargetSchema)
      .default({})
      .describe(
        'Fleet: per load balancer settings by the syslog host name its log lines carry (the alert\'s host). Diagnostics, hooks and the stats poller act on that host\'s HAProxy. Empty: one HAProxy, the top-level settings.',
      ),
    unlisted_hosts: z
      .enum(['skip', 'defaults'])
      .default('skip')
      .describe(
        'When `hosts` is not empty, an alert from a host it does not list: `skip` records diagnostics and repairs as skipped (never acts on another box\'s HAProxy); `defaults` uses the top-level settings.',
      ),
  })
  .strict();

export type HaproxyConfig = z.infer<typeof HaproxySchema>;
export type ServerTarget = z.infer<typeof ServerTargetSchema>;

/**
 * The settings of the HAProxy on `host`: its `hosts` entry over the top-level ones (backends
 * merged per backend, then per server). Null when `hosts` lists other hosts only and
 * `unlisted_hosts` is `skip`: nothing may act on a load balancer the config does not describe.
 */
export function haproxyForHost(haproxy: HaproxyConfig, host: string | null): HaproxyConfig | null {
  const hostNames = Object.keys(haproxy.hosts);
  if (hostNames.length === 0) return haproxy;
  const own = host !== null && Object.hasOwn(haproxy.hosts, host) ? haproxy.hosts[host] : undefined;
  if (!own) return haproxy.unlisted_hosts === 'defaults' ? { ...haproxy, hosts: {} } : null;
  const backends: HaproxyConfig['backends'] = { ...haproxy.backends };
  for (const [name, b] of Object.entries(own.backends)) {
    const base = haproxy.backends[name];
    backends[name] = { service: b.service ?? base?.service, servers: { ...base?.servers, ...b.servers } };
  }
  return {
    ...haproxy,
    binary: own.binary ?? haproxy.binary,
    config_file: own.config_file ?? haproxy.config_file,
    log_file: own.log_file ?? haproxy.log_file,
    runtime_socket: own.runtime_socket ?? haproxy.runtime_socket,
    runtime_timeout_ms: own.runtime_timeout_ms ?? haproxy.runtime_timeout_ms,
    backends,
    env: { ...haproxy.env, ...own.env },
    hosts: {},
  };
}
