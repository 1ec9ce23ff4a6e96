import type { Command } from './command.js';
import { parseCommandArgs, UsageError, EXIT } from './command.js';
import { openStoreFromArgs, STORE_OPTIONS, STORE_OPTIONS_HELP } from '../store/cli-open.js';
import { loadSavedQuery } from '../store/saved-queries.js';
import { formatRows } from '../store/format.js';

const help = `usage: breakwater alerts [--since DURATION] [--json] [--data DIR]

Lists the alerts in the store, one row per alert: when it fired, when it resolved (empty while
still firing), its rule, server and peak observed value. Oldest first.

options:
  --since DURATION  only alerts that fired in the last DURATION (30m, 24h, 7d; default: all)
  --json            one JSON object per alert per line (times ISO-8601 UTC, resolved_at null while firing)
${STORE_OPTIONS_HELP}
`;

const TIME_TEXT = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?$/;

/** ClickHouse 'YYYY-MM-DD hh:mm:ss[.fff]' (UTC columns) → ISO-8601 with milliseconds. */
export function isoTime(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const m = TIME_TEXT.exec(v);
  return m ? `${m[1]}T${m[2]}${(m[3] ?? '.000').slice(0, 4).padEnd(4, '0')}Z` : v;
}

export const command: Command = {
  name: 'alerts',
  summary: 'list alerts from the store (fired_at, resolved_at)',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      ...STORE_OPTIONS,
      since: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (!args) return EXIT.OK;
    if (args.positionals.length) throw new UsageError(`unexpected arguments: ${args.positionals.join(' ')}`);
    let since = '1970-01-01 00:00:00';
    if (args.values.since !== undefined) {
      const m = /^(\d+)\s*(s|m|h|d|w)$/.exec(args.values.since.trim());
      if (!m) throw new UsageError(`--since expects a duration like 30m, 24h or 7d, got '${args.values.since}'`);
      since = `now-${m[1]}${m[2]}`;
    }
    const query = loadSavedQuery('alerts');
    if (!query) throw new Error('sql/queries/alerts.sql is missing');
    const store = await openStoreFromArgs(args.values);
    try {
      const rows = (await store.query<Record<string, unknown>>(query.sql, { since })).map((r) => ({
        ...r,
        fired_at: isoTime(r.fired_at),
        resolved_at: isoTime(r.resolved_at),
      }));
      const withoutSummary = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'summary')));
      process.stdout.write(args.values.json ? formatRows(rows, 'json') : formatRows(withoutSummary, 'table'));
      return EXIT.OK;
    } finally {
      await store.close();
    }
  },
};
