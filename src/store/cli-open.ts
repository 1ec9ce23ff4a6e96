/**
 * How the store commands (migrate, query, alerts) open the store: `--data DIR` and an optional
 * `-c PIPELINE.yaml` for its `store` section; CLICKHOUSE_URL selects a server instead.
 */
import { loadPipeline } from '../config/pipeline.js';
import { openStore } from './open.js';
import type { SqlStore } from './sql-store.js';

export const STORE_OPTIONS = {
  data: { type: 'string' },
  config: { type: 'string', short: 'c' },
} as const;

export const STORE_OPTIONS_HELP = `  --data DIR        embedded store directory (default ./.breakwater/data; ignored when CLICKHOUSE_URL is set)
  -c, --config FILE pipeline file whose \`store\` section applies (database, retention, batching)

environment: CLICKHOUSE_URL (http[s]://host:port) selects a ClickHouse server, with CLICKHOUSE_USER,
  CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE, CLICKHOUSE_CA_FILE (CLICKHOUSE_CERT_FILE, CLICKHOUSE_KEY_FILE)`;

export async function openStoreFromArgs(values: { data?: string; config?: string }, migrate = true): Promise<SqlStore> {
  const config = values.config ? loadPipeline(values.config).store : undefined;
  return openStore({ dataDir: values.data, config, migrate });
}
