import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParserSchema } from '../../../src/config/parser.js';

test('pipeline parser section: defaults, built-in names, log-format strings, zones', () => {
  assert.deepEqual(ParserSchema.parse({}), { format: 'auto', timezone: 'UTC' });
  for (const format of ['http', 'tcp', 'https', 'clf', 'httplog-clf', '%ci:%cp [%tr] %ft %ST']) {
    assert.equal(ParserSchema.parse({ format }).format, format);
  }
  assert.equal(ParserSchema.parse({ timezone: 'Europe/Paris' }).timezone, 'Europe/Paris');
  for (const bad of [{ format: 'nginx' }, { format: '%ci %nope' }, { timezone: 'Mars/Olympus' }, { colour: 'blue' }]) {
    assert.equal(ParserSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
  assert.ok(ParserSchema.shape.format.description, 'every knob is described');
  assert.ok(ParserSchema.shape.timezone.description);
});
