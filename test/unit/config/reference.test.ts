import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configReference, referenceRows, withReference, REFERENCE_END, REFERENCE_START } from '../../../src/config/reference.js';

test('README configuration reference is the one the schemas generate', () => {
  const readme = readFileSync('README.md', 'utf8');
  assert.ok(readme.includes(REFERENCE_START) && readme.includes(REFERENCE_END), 'README has the reference markers');
  assert.ok(withReference(readme) === readme, 'README.md configuration reference is out of date: run `npm run docs:config` and commit README.md');
});

test('every knob of the pipeline schema has a description', () => {
  const undocumented = referenceRows().filter((r) => !r.description.trim()).map((r) => r.path);
  assert.deepEqual(undocumented, [], 'add .describe(…) to these keys in src/config/');
});

test('the reference walks nested objects, maps, lists, unions, enums, bounds and defaults', () => {
  const schema = z
    .object({
      name: z.string().min(1).describe('Name.'),
      section: z
        .object({
          level: z.enum(['low', 'high']).default('low').describe('Level | pipe.'),
          tries: z.number().int().min(1).max(9).default(3).describe('Tries.'),
          url: z.url().optional().describe('URL.'),
          hosts: z.record(z.string(), z.object({ port: z.number().default(80).describe('Port.') })).default({}).describe('Hosts.'),
          hooks: z
            .array(z.discriminatedUnion('type', [
              z.object({ type: z.literal('a'), argv: z.array(z.string()).describe('Argv.') }),
              z.object({ type: z.literal('b'), path: z.string().default('/x').describe('Path.') }),
            ]))
            .default([])
            .describe('Hooks.'),
        })
        .prefault({}),
    })
    .strict();
  const rows = Object.fromEntries(referenceRows(schema).map((r) => [r.path, `${r.type} | ${r.default} | ${r.description}`]));
  assert.deepEqual(rows, {
    name: 'string | (required) | Name.',
    'section.level': '`low` | `high` | low | Level | pipe.',
    'section.tries': 'integer (≥ 1, ≤ 9) | 3 | Tries.',
    'section.url': 'url | (unset) | URL.',
    'section.hosts': 'map of string → object | {} | Hosts.',
    'section.hosts.<host>.port': 'number | 80 | Port.',
    'section.hooks': 'list of object (by `type`) | [] | Hooks.',
    'section.hooks[type=a].argv': 'list of string | (required) | Argv.',
    'section.hooks[type=b].path': 'string | /x | Path.',
  });
  const md = configReference(schema);
  assert.match(md, /^### Top level$/m);
  assert.match(md, /^### `section`$/m);
  assert.ok(md.includes('| `section.level` | `low` \\| `high` | `low` | Level \\| pipe. |'), md);
  assert.throws(() => withReference('# no markers\n', md), /markers/);
});
