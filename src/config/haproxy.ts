import { z } from 'zod';

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

/** The `haproxy` section of a pipeline file: the load balancer the pack watches and repairs. */
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
    backends: z
      .record(z.string(), BackendTargetSchema)
      .default({})
      .describe('Per-backend server targets by HAProxy backend name: ip, port, health URL and service name given to diagnostics and hooks.'),
  })
  .strict();

export type HaproxyConfig = z.infer<typeof HaproxySchema>;
export type ServerTarget = z.infer<typeof ServerTargetSchema>;
