import { z } from 'zod';

/**
 * The `store` section of a pipeline file. Where the store lives comes from the environment
 * (CLICKHOUSE_URL selects a server, otherwise the embedded store under `data_dir`); this
 * section tunes batching, retention and retries.
 */
export const StoreSchema = z
  .object({
    data_dir: z
      .string()
      .min(1)
      .default('./.breakwater/data')
      .describe('Directory of the embedded store (chdb) when CLICKHOUSE_URL is not set; `--data DIR` overrides it.'),
    database: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a plain identifier: letters, digits, underscore')
      .default('breakwater')
      .describe('Database holding the tables (created when missing). CLICKHOUSE_DATABASE overrides it for a server.'),
    batch_rows: z
      .number()
      .int()
      .min(1)
      .default(50000)
      .describe('An insert batch is written when it holds this many rows… (bigger batches make fewer parts for ClickHouse to merge: see the store section)'),
    batch_ms: z.number().int().min(1).default(1000).describe('…or when its oldest row has waited this long (ms).'),
    max_buffered_rows: z
      .number()
      .int()
      .min(1)
      .default(200000)
      .describe('Bound of rows waiting per table; inserts beyond it wait (backpressure) until a batch is written.'),
    ttl_days: z.number().int().min(1).default(30).describe('Retention of raw events (haproxy_events, rejects) in days (TTL; ClickHouse >= 19.6).'),
    rollup_ttl_days: z.number().int().min(1).default(400).describe('Retention of the 1-minute rollup, alerts, hook runs and server status in days.'),
    retry_initial_ms: z.number().int().min(1).default(200).describe('First delay before retrying a failed insert; doubles up to retry_max_ms. Failed inserts are retried, never dropped.'),
    retry_max_ms: z.number().int().min(1).default(10000).describe('Longest delay between insert retries while the database is unreachable.'),
  })
  .strict();

export type StoreConfig = z.infer<typeof StoreSchema>;
