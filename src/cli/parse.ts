import type { Command } from './command.js';
import { parseCommandArgs, EXIT } from './command.js';

const help = `usage: breakwater parse [FILE…|-] [--format auto|http|tcp|clf|https|"<log-format>"] [--timezone TZ]
       breakwater parse --summary FILE…`;

export const command: Command = {
  name: 'parse',
  summary: 'parse HAProxy log lines into JSON events (or a per-server --summary)',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      format: { type: 'string', default: 'auto' },
      timezone: { type: 'string', default: 'UTC' },
      summary: { type: 'boolean', default: false },
    });
    if (!args) return EXIT.OK;
    return EXIT.SOFTWARE;
  },
};
