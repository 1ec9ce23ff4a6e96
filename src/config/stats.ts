import { z } from 'zod';

/** The `stats` section of a pipeline file: the HAProxy runtime API / stats CSV poller. */
export const StatsSchema = z
  .object({
    enabled: z.boolean().default(false).describe('Poll HAProxy server status (needed by the server-down pack; enriches alerts otherwise).'),
    source: z
      .enum(['socket', 'http'])
      .default('socket')
      .describe('socket: `show stat` on haproxy.runtime_socket; http: the stats page CSV at `url`.'),
    url: z.url().optional().describe('Stats page CSV URL for source http, e.g. http://127.0.0.1:8404/stats;csv.'),
    username: z.string().optional().describe('Basic-auth user of the stats page (source http).'),
    password_env: z.string().optional().describe('Name of the environment variable holding the stats page password (never the password itself).'),
    interval_ms: z.number().int().min(200).default(5000).describe('Poll interval.'),
    timeout_ms: z.number().int().positive().default(3000).describe('Timeout of one poll.'),
    host: z.string().min(1).optional().describe('Host name recorded with the status rows (matches the syslog host of the logs). Absent: this machine\'s hostname.'),
    store: z.boolean().default(true).describe('Store each poll in server_status.'),
    publish: z.boolean().default(true).describe('Publish each poll to the haproxy.stats topic.'),
    health_events: z
      .boolean()
      .default(true)
      .describe('Publish server state changes (DOWN, back UP) to haproxy.events as `health` events, so the detector fires server_down from the runtime API as from the log line.'),
  })
  .strict();

export type StatsConfig = z.infer<typeof StatsSchema>;
