import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT } from './exit-codes.js';

/** One CLI command; each lives in its own file under src/cli/. */
export interface Command {
  name: string;
  /** One line for `breakwater --help`. */
  summary: string;
  /** Full text for `breakwater NAME --help`. */
  help: string;
  run(argv: string[]): Promise<number>;
}

/** Thrown for command-line mistakes; main() prints the message and the usage, exits 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * The one way commands read their arguments: node's parseArgs, strict, positionals allowed,
 * with `--help`/`-h` added. Returns null when help was asked for (it has been printed).
 */
export function parseCommandArgs<const O extends Options>(
  command: Pick<Command, 'help'>,
  argv: string[],
  options: O,
) {
  const config = {
    args: argv,
    options: { ...options, help: { type: 'boolean', short: 'h' } } as O & { help: { type: 'boolean'; short: 'h' } },
    allowPositionals: true as const,
    strict: true as const,
  };
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(command.help.trimEnd() + '\n');
    return null;
  }
  return parsed;
}

export { EXIT };
