import type { Command } from './command.js';
import { EXIT, parseCommandArgs, UsageError } from './command.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runNab } from '../nab/evaluate.js';
import { robustnessReport } from '../nab/robustness.js';

const help = `usage: breakwater eval nab DIR --out RESULTS_DIR [--only NAME[,NAME…]] [--json]
       breakwater eval nab DIR --robustness

Runs the detector's NAB-facing score over every DIR/data/<folder>/<file>.csv (NAB layout:
timestamp,value; each row one interval's count) and writes RESULTS_DIR/<folder>/<file>.csv with
timestamp,value,anomaly_score (timestamps copied verbatim, scores in [0,1]). When
DIR/labels/combined_windows.json exists, prints the NAB scores (standard, reward_low_FP_rate,
reward_low_FN_rate) with the one corpus-wide optimal threshold, as NAB's own scorer does.

options:
  --out DIR      where the results files go (required)
  --only LIST    score only files whose name contains one of these comma-separated strings
                 (normalised by that subset's window count)
  --json         print the scores as one JSON object
  --robustness   instead: is the one configuration general? Prints (Markdown) the standard score
                 with each main knob at x0.5/x0.75/x1.25/x1.5, and a split check: the
                 configuration chosen on random halves of the files, scored on the other half`;

export const command: Command = {
  name: 'eval',
  summary: 'evaluate the detector on a NAB corpus (results files and NAB scores)',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      out: { type: 'string' },
      only: { type: 'string' },
      json: { type: 'boolean', default: false },
      robustness: { type: 'boolean', default: false },
    });
    if (!args) return EXIT.OK;
    const [suite, dir, ...extra] = args.positionals;
    if (suite !== 'nab') throw new UsageError(suite ? `unknown benchmark '${suite}' (only "nab")` : 'missing benchmark name (nab)');
    if (!dir || extra.length) throw new UsageError('expected exactly one corpus directory');
    if (!existsSync(join(dir, 'data'))) {
      process.stderr.write(`breakwater eval: ${dir}/data not found (expected the NAB layout data/<folder>/<file>.csv)\n`);
      return EXIT.NO_INPUT;
    }
    if (args.values.robustness) {
      if (!existsSync(join(dir, 'labels', 'combined_windows.json'))) {
        process.stderr.write(`breakwater eval: ${dir}/labels/combined_windows.json not found (robustness needs labelled files)\n`);
        return EXIT.NO_INPUT;
      }
      process.stdout.write(robustnessReport(dir));
      return EXIT.OK;
    }
    if (!args.values.out) throw new UsageError('--out RESULTS_DIR is required');
    const only = args.values.only ? args.values.only.split(',').filter(Boolean) : [];
    const run = runNab(dir, args.values.out, only);
    if (args.values.json) {
      const scores = run.scores?.map(({ files: _files, ...s }) => s) ?? null;
      process.stdout.write(JSON.stringify({ files: run.files, rows: run.rows, results: args.values.out, scores }) + '\n');
      return EXIT.OK;
    }
    process.stdout.write(`${run.files} files, ${run.rows} rows → ${args.values.out}\n`);
    if (!run.scores) {
      process.stdout.write('no labels/combined_windows.json: results written, not scored\n');
      return EXIT.OK;
    }
    for (const s of run.scores) {
      process.stdout.write(
        `${s.profile.padEnd(20)} ${s.score.toFixed(2).padStart(6)}   (raw ${s.raw.toFixed(4)}, threshold ${s.threshold.toFixed(4)}, ${s.windows} windows, TP ${s.tp} FP ${s.fp} FN ${s.fn} rows)\n`,
      );
    }
    return EXIT.OK;
  },
};
