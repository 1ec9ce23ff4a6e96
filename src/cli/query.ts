import type { Command } from './command.js';
import { parseCommandArgs, UsageError, EXIT } from './command.js';
import { openStoreFromArgs, STORE_OPTIONS, STORE_OPTIONS_HELP } from '../store/cli-open.js';
import { listSavedQueries, loadSavedQuery, resolveParams } from '../store/saved-queries.js';
import { ParamError } from '../store/params.js';
import { formatRows, type OutputFormat } from '../store/format.js';
import type { QueryParams } from '../store/store.js';

const help = `usage: breakwater query NAME [--param k=v]… [--format table|json|csv] [--data DIR]
       breakwater query --sql 'SELECT … {name:Type} …' [--param k=v]… [--format …]
       breakwater query --list

Runs a saved correlation query (sql/queries/NAME.sql) or ad hoc SQL against the store.
Parameters are bound as typed values ({name:Type} placeholders), never pasted into the SQL.
Times accept ISO-8601, 'YYYY-MM-DD hh:mm:ss' (UTC), unix seconds, now, now-24h, -90m.

options:
  --param k=v       a parameter value (repeatable)
  --format F        table (default), json (one object per line) or csv
  --list            the saved queries with their parameters
  --sql SQL         ad hoc SQL instead of a saved query
${STORE_OPTIONS_HELP}

example:
  breakwater query conn_failures_over_time --param from=now-6h --param backend=be_app
`;

function parseParams(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects k=v, got '${p}'`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

function listing(): string {
  return listSavedQueries()
    .map((q) => {
      const params = q.params.map((p) => `    --param ${p.name}=…  ${p.type}${p.default === null ? ', required' : `, default ${p.default === '' ? "''" : p.default}`}: ${p.description}`);
      return [`${q.name}`, `    ${q.description}`, ...params].join('\n');
    })
    .join('\n\n') + '\n';
}

export const command: Command = {
  name: 'query',
  summary: 'run a saved correlation query (or --sql) against the store',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      ...STORE_OPTIONS,
      param: { type: 'string', multiple: true, default: [] },
      format: { type: 'string', default: 'table' },
      sql: { type: 'string' },
      list: { type: 'boolean', default: false },
    });
    if (!args) return EXIT.OK;
    if (args.values.list) {
      process.stdout.write(listing());
      return EXIT.OK;
    }
    const format = args.values.format as OutputFormat;
    if (!['table', 'json', 'csv'].includes(format)) throw new UsageError(`--format must be table, json or csv`);
    const given = parseParams(args.values.param ?? []);
    let sql: string;
    let params: QueryParams;
    if (args.values.sql !== undefined) {
      if (args.positionals.length) throw new UsageError('give either a query NAME or --sql, not both');
      sql = args.values.sql;
      params = given;
    } else {
      const [name, ...extra] = args.positionals;
      if (!name) throw new UsageError('which query? (breakwater query --list)');
      if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
      const saved = loadSavedQuery(name);
      if (!saved) throw new UsageError(`no saved query '${name}' (breakwater query --list)`);
      sql = saved.sql;
      try {
        params = resolveParams(saved, given);
      } catch (err) {
        if (err instanceof ParamError) throw new UsageError(err.message);
        throw err;
      }
    }
    const store = await openStoreFromArgs(args.values);
    try {
      const rows = await store.query(sql, params);
      process.stdout.write(formatRows(rows, format));
      return EXIT.OK;
    } catch (err) {
      if (err instanceof ParamError) throw new UsageError(err.message);
      process.stderr.write(`breakwater query: ${(err as Error).message.trim()}\n`);
      return EXIT.FAILURE;
    } finally {
      await store.close();
    }
  },
};
