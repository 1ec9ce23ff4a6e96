/**
 * Writes the configuration reference (generated from the zod schemas in src/config/) between the
 * markers of README.md: `npm run docs:config`. `--check` writes nothing and exits 1 when the
 * README is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withReference } from '../src/config/reference.js';

const readmePath = join(import.meta.dirname, '..', 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const updated = withReference(readme);
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    process.stderr.write('README.md configuration reference is out of date: run `npm run docs:config`\n');
    process.exit(1);
  }
  process.stdout.write('README.md configuration reference is up to date\n');
} else if (updated === readme) {
  process.stdout.write('README.md configuration reference already up to date\n');
} else {
  writeFileSync(readmePath, updated);
  process.stdout.write('README.md configuration reference regenerated\n');
}
