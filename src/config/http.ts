import { z } from 'zod';

/** The `http` section of a pipeline file: the observability endpoint (/metrics, /healthz, /readyz). */
export const HttpSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Serve /metrics (Prometheus text format), /healthz and /readyz.'),
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Address to bind. Loopback by default; set 0.0.0.0 only behind a firewall (metrics name hosts and backends).'),
    port: z.number().int().min(0).max(65535).default(9464).describe('TCP port; 0 picks a free one (logged at start).'),
  })
  .strict();

export type HttpConfig = z.infer<typeof HttpSchema>;
