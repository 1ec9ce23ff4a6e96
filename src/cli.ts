import type { Command } from './cli/command.js';
import { UsageError } from './cli/command.js';
import { EXIT } from './cli/exit-codes.js';
import { ConfigError } from './config/errors.js';

/**
 * Commands load lazily so `breakwater parse` does not pay for kafkajs or chdb.
 * Add a command: create src/cli/NAME.ts exporting `command`, then list it here.
 */
const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  parse: () => import('./cli/parse.js'),
  migrate: () => import('./cli/migrate.js'),
  query: () => import('./cli/query.js'),
  alerts: () => import('./cli/alerts.js'),
  eval: () => import('./cli/eval.js'),
  ship: () => import('./cli/ship.js'),
  process: () => import('./cli/process.js'),
  backfill: () => import('./cli/backfill.js'),
  run: () => import('./cli/run.js'),
  demo: () => import('./cli/demo.js'),
  hooks: () => import('./cli/hooks.js'),
};

const SUMMARIES: Record<string, string> = {
  parse: 'parse HAProxy log lines into JSON events (or a per-server --summary)',
  migrate: 'apply pending store schema migrations',
  query: 'run a saved correlation query (or --sql) against the store',
  alerts: 'list alerts from the store (fired_at, resolved_at)',
  eval: 'evaluate the detector on a NAB corpus (results files and NAB scores)',
  ship: 'tail HAProxy logs and publish events to Kafka (checkpointed, rotation-safe)',
  process: 'consume events from Kafka, detect above-normal connection failures, store and alert',
  backfill: 'replay archived logs (plain or .gz) through parser, store and detector in event time',
  run: 'ship, detect, store, notify and repair in one process (embedded by default)',
  demo: 'see it work: simulated traffic, a server failing and recovering, the alert firing and resolving',
  hooks: 'hooks test: what a pack\'s repair hooks would run for a backend server (argv, env; dry run)',
};

function topLevelHelp(): string {
  const width = Math.max(...Object.keys(SUMMARIES).map((n) => n.length));
  const lines = Object.entries(SUMMARIES).map(([n, s]) => `  ${n.padEnd(width)}  ${s}`);
  return [
    'breakwater: HAProxy log-stream analytics',
    '',
    'usage: breakwater COMMAND [options]    (breakwater COMMAND --help for details)',
    '',
    'commands:',
    ...lines,
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(topLevelHelp());
    return name ? EXIT.OK : EXIT.USAGE;
  }
  if (name === '--version' || name === '-V') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    process.stdout.write(`${pkg.version}\n`);
    return EXIT.OK;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`breakwater: unknown command '${name}'\n\n${topLevelHelp()}`);
    return EXIT.USAGE;
  }
  const { command } = await load();
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`breakwater ${name}: ${err.message}\n\n${command.help.trimEnd()}\n`);
      return EXIT.USAGE;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`breakwater ${name}: ${err.message}\n`);
      return EXIT.CONFIG;
    }
    throw err;
  }
}
