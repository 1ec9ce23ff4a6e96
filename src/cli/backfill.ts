import { stat } from 'node:fs/promises';
import type { Command } from './command.js';
import { parseCommandArgs, EXIT, UsageError } from './command.js';
import { loadPipeline, PipelineSchema } from '../config/pipeline.js';
import { pipelineParser } from '../ship/parser.js';
import { Backfill, type BackfillSummary } from '../ship/backfill.js';
import { Progress } from '../ship/progress.js';
import { openStore } from '../store/open.js';

const help = `usage: breakwater backfill FILE… [-c PIPELINE.yaml] [--data DIR] [--json] [--no-store]

Replays archived HAProxy logs (plain or gzip, detected by content) from start to end through the
parser, the store and the detector in event time: the same windows, baselines and rules as
\`process\`, so past incidents show up as alerts. Give files oldest first
(haproxy.log.3.gz haproxy.log.2.gz haproxy.log.1 haproxy.log).

Progress goes to stderr: a bar with lines/s, percent (by bytes) and ETA on a terminal, a plain
line every 5 s otherwise.

options:
  -c, --config FILE  pipeline file (parser, detector, store sections); defaults otherwise
      --data DIR     embedded store directory (CLICKHOUSE_URL selects a server instead)
      --no-store     detect only: store nothing
      --json         last stdout line: {"lines":N,"events":N,"rejects":N,"alerts":[…]}

exit status: 0 done, 66 an input cannot be read, 78 invalid configuration.`;

function printHuman(s: BackfillSummary): void {
  const out = [`${s.lines} lines, ${s.events} events, ${s.rejects} rejects, ${s.alerts.length} alerts`];
  for (const a of s.alerts) {
    out.push(`  ${a.fired_at} → ${a.resolved_at ?? 'still firing'}  ${a.host ?? '-'} ${a.backend ?? '-'}/${a.server ?? '-'}  ${a.rule}: ${a.summary}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

export const command: Command = {
  name: 'backfill',
  summary: 'replay archived logs (plain or .gz) through parser, store and detector in event time',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      config: { type: 'string', short: 'c' },
      data: { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-store': { type: 'boolean', default: false },
    });
    if (!args) return EXIT.OK;
    const files = args.positionals;
    if (files.length === 0) throw new UsageError('name at least one FILE');
    const pipeline = args.values.config ? loadPipeline(args.values.config) : PipelineSchema.parse({ name: 'backfill' });
    for (const f of files) {
      try {
        if (!(await stat(f)).isFile()) throw new Error('not a regular file');
      } catch (err) {
        process.stderr.write(`breakwater backfill: cannot read ${f}: ${(err as Error).message}\n`);
        return EXIT.NO_INPUT;
      }
    }
    const store = args.values['no-store'] ? null : await openStore({ dataDir: args.values.data, config: pipeline.store });
    const job = new Backfill({ files, parse: pipelineParser(pipeline), sources: pipeline.sources, detector: pipeline.detector, store });
    const progress = new Progress(() => job.progress());
    progress.start();
    let summary: BackfillSummary;
    try {
      summary = await job.run();
    } catch (err) {
      progress.stop();
      process.stderr.write(`breakwater backfill: ${(err as Error).message}\n`);
      return EXIT.NO_INPUT;
    } finally {
      await store?.close();
    }
    progress.stop();
    if (args.values.json) process.stdout.write(JSON.stringify(summary) + '\n');
    else printHuman(summary);
    return EXIT.OK;
  },
};
