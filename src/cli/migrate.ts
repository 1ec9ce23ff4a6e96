import type { Command } from './command.js';
import { parseCommandArgs, EXIT } from './command.js';
import { openStoreFromArgs, STORE_OPTIONS, STORE_OPTIONS_HELP } from '../store/cli-open.js';

const help = `usage: breakwater migrate [--data DIR] [-c PIPELINE.yaml]

Applies the pending schema migrations (sql/migrations) to the store and prints the ones applied.
Each migration is applied once and recorded in breakwater_migrations; rerunning is harmless and
completes a run that was interrupted. Other commands apply pending migrations on start too.

options:
${STORE_OPTIONS_HELP}
`;

export const command: Command = {
  name: 'migrate',
  summary: 'apply pending store schema migrations',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, STORE_OPTIONS);
    if (!args) return EXIT.OK;
    const store = await openStoreFromArgs(args.values, false);
    try {
      const applied = await store.migrate();
      const where = `${store.driver.location} (ClickHouse ${store.driver.features.version})`;
      process.stdout.write(applied.length ? applied.map((m) => `applied ${m}\n`).join('') : `schema up to date: ${where}\n`);
      if (applied.length) process.stdout.write(`store: ${where}\n`);
      return EXIT.OK;
    } finally {
      await store.close();
    }
  },
};
