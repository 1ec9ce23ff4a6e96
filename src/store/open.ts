/**
 * Opens the store the environment asks for: a ClickHouse server when CLICKHOUSE_URL is set,
 * otherwise embedded ClickHouse (chdb) under the data directory. Migrations are applied on
 * open unless `migrate: false`.
 */
import type { StoreConfig } from '../config/store.js';
import { StoreSchema } from '../config/store.js';
import { ServerDriver, serverOptionsFromEnv } from './clickhouse.js';
import { ChdbDriver } from './embedded.js';
import { SqlStore } from './sql-store.js';

export interface OpenStoreOptions {
  /** Embedded store directory (`--data DIR`); default: config.data_dir. */
  dataDir?: string;
  /** The pipeline's `store` section; defaults apply when absent. */
  config?: Partial<StoreConfig>;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  env?: NodeJS.ProcessEnv;
}

export async function openStore(opts: OpenStoreOptions = {}): Promise<SqlStore> {
  const config = StoreSchema.parse(opts.config ?? {});
  const server = serverOptionsFromEnv(opts.env ?? process.env, config.database);
  const driver = server
    ? await ServerDriver.open(server)
    : await ChdbDriver.open(opts.dataDir ?? config.data_dir, config.database);
  const store = new SqlStore(driver, config);
  if (opts.migrate !== false) {
    try {
      await store.migrate();
    } catch (err) {
      await driver.close();
      throw err;
    }
  }
  return store;
}
