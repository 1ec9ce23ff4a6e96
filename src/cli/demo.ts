import type { Command } from './command.js';
import { parseCommandArgs, EXIT, UsageError } from './command.js';
import { runDemo } from '../demo/runner.js';
import { log } from '../observe/log.js';

const help = `usage: breakwater demo [--data DIR] [--seed N] [--json]

Shows Breakwater working, on nothing but Node: it simulates HAProxy traffic (two load balancers,
three backends) in which one backend server starts refusing connections, dies, is logged DOWN
by HAProxy's health checks, is restarted and comes back UP. The log goes through the embedded
pipeline \`breakwater run\` uses (in-process bus, embedded ClickHouse, the connection-failures op
pack with repairs in dry run), and the demo prints the alert firing, what the runbook did
(diagnostics, probe, the restart it would run), the alert resolving, and two correlation
queries answered by the store.

options:
  --data DIR  keep the store in DIR (then: breakwater alerts --data DIR, breakwater query … --data DIR)
  --seed N    another simulated day (default 42)
  --json      also print a JSON summary as the last line of stdout

exit status: 0 when an alert fired and resolved, 1 otherwise.`;

export const command: Command = {
  name: 'demo',
  summary: 'see it work: simulated traffic, a server failing and recovering, the alert firing and resolving',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      data: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (!args) return EXIT.OK;
    if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const seed = args.values.seed === undefined ? undefined : Number(args.values.seed);
    if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed: not an integer: ${args.values.seed}`);
    // The narration is the output; the pipeline's own logs (a failing probe is a warning) would drown it.
    if (!process.env.LOG_LEVEL) log.level = 'error';
    const result = await runDemo({ dataDir: args.values.data, seed, out: (line) => process.stdout.write(line + '\n') });
    if (args.values.json) {
      const { alerts, queries, lines, events, elapsedMs } = result;
      process.stdout.write(JSON.stringify({ lines, events, elapsed_ms: elapsedMs, alerts, queries }) + '\n');
    }
    const states = new Set(result.alerts.map((a) => a.state));
    return states.has('firing') && states.has('resolved') ? EXIT.OK : EXIT.FAILURE;
  },
};
