import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { loadPipeline } from '../../../src/config/pipeline.js';
import { ConfigError } from '../../../src/config/errors.js';

const PIPELINES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../pipelines');
const PACKS = ['haproxy-backend-connection-failures.yaml', 'haproxy-backend-server-down.yaml'];

test('op packs load, are dry-run by default, and their hook scripts exist and are executable', () => {
  for (const file of PACKS) {
    const p = loadPipeline(join(PIPELINES, file));
    assert.equal(p.hooks.dry_run, true, `${file} starts in dry run`);
    assert.ok(p.hooks.repair.length >= 2);
    assert.ok(p.notify.webhooks.length && p.notify.slack.length);
    assert.ok(p.stats.enabled);
    for (const h of p.hooks.repair) {
      if (h.type === 'exec') accessSync(join(PIPELINES, h.argv[0]), constants.X_OK);
    }
    // Every knob the pack sets carries a comment: no bare `key: value` line without one nearby.
    const lines = readFileSync(join(PIPELINES, file), 'utf8').split('\n');
    const commented = lines.filter((l) => l.includes('#')).length;
    assert.ok(commented > lines.length / 3, `${file} is commented`);
  }
});

// A parsed YAML document, edited freely by the cases below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

function withBroken(file: string, mutate: (doc: Doc) => void): string {
  const doc = parse(readFileSync(join(PIPELINES, file), 'utf8'));
  mutate(doc);
  const dir = mkdtempSync(join(tmpdir(), 'bw-pack-'));
  const path = join(dir, file);
  writeFileSync(path, stringify(doc));
  try {
    loadPipeline(path);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error('the broken pack was accepted');
}

test('broken packs are rejected with the path of the bad field', () => {
  const [conn, down] = PACKS;
  const cases: Array<[string, (d: Doc) => void, RegExp]> = [
    [conn, (d) => (d.hooks.repair[1].argv = 'hooks/restart-backend.sh'), /hooks\.repair\[1\]\.argv/],
    [conn, (d) => (d.hooks.repair[0].type = 'shell'), /hooks\.repair\[0\]\.type/],
    [conn, (d) => (d.hooks.repair[1].cooldown_s = -5), /hooks\.repair\[1\]\.cooldown_s/],
    [conn, (d) => (d.hooks.repair[1].on = ['sometimes']), /hooks\.repair\[1\]\.on\[0\]/],
    [conn, (d) => (d.hooks.repair[1].run_if_of = 'later_hook'), /hooks\.repair\[1\]\.run_if_of: must name an earlier repair hook/],
    [conn, (d) => (d.hooks.repair[1].name = 'probe_backend'), /hooks\.repair\[1\]\.name: duplicate/],
    [conn, (d) => (d.haproxy.backends.be_app.servers.app1.port = 70000), /haproxy\.backends\.be_app\.servers\.app1\.port/],
    [conn, (d) => (d.haproxy.backends.be_app.servers.app1.health_url = 'not a url'), /haproxy\.backends\.be_app\.servers\.app1\.health_url/],
    [conn, (d) => (d.notify.webhooks[0].url = 'https://hooks.example/secret'), /notify\.webhooks\[0\]/],
    [conn, (d) => (d.notify.slack[0].webhook_url_env = 'https://hooks.slack.com/x'), /notify\.slack\[0\]\.webhook_url_env: must be an environment variable name/],
    [down, (d) => (d.hooks.repair[2].action = 'drain'), /hooks\.repair\[2\]/],
    [down, (d) => (d.hooks.repair[2].min_evaluations = 0), /hooks\.repair\[2\]\.min_evaluations/],
    [down, (d) => (d.hooks.diagnostics.timeout_ms = 'fast'), /hooks\.diagnostics\.timeout_ms/],
    [down, (d) => (d.hooks.dryrun = false), /hooks: Unrecognized key/],
    [down, (d) => (d.stats.source = 'snmp'), /stats\.source/],
    [down, (d) => (d.haproxy.runtime_socket = ''), /haproxy\.runtime_socket/],
  ];
  for (const [file, mutate, expected] of cases) assert.match(withBroken(file, mutate), expected);
});
