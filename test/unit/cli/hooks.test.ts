import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { command } from '../../../src/cli/hooks.js';
import { UsageError } from '../../../src/cli/command.js';

async function run(argv: string[]): Promise<{ code: number; stdout: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await command.run(argv);
    return { code, stdout: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}

test('hooks test: the argv, cwd and environment each hook would get on the alert\'s host; nothing runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-hooks-test-'));
  try {
    const sentinel = join(dir, 'ran');
    const pack = join(dir, 'pack.yaml');
    writeFileSync(
      pack,
      stringify({
        name: 'hooks-test-pack',
        haproxy: {
          runtime_socket: '/run/haproxy/admin.sock',
          backends: { be_app: { service: 'app.service', servers: { app2: { ip: '10.0.0.2', port: 8080 } } } },
          hosts: { lb2: { runtime_socket: '10.9.0.2:9999', env: { SSH_HOST: 'lb2.example' }, backends: { be_app: { servers: { app2: { ip: '10.2.0.2', port: 80 } } } } } },
        },
        hooks: {
          dry_run: false,
          repair: [
            { name: 'touch', type: 'exec', argv: ['hooks/fix.sh', sentinel], env: { MODE: 'gentle' } },
            { name: 'drain', type: 'haproxy_runtime', action: 'drain' },
            { name: 'page', type: 'http', url_env: 'PAGER_URL', on: ['resolved'] },
            { name: 'restart', type: 'restart_service', run_if: 'previous_failed', run_if_of: 'touch' },
          ],
        },
      }),
    );
    const { code, stdout } = await run(['test', '-c', pack, '--backend', 'be_app', '--server', 'app2', '--host', 'lb2', '--json']);
    assert.equal(code, 0);
    const out = JSON.parse(stdout) as { target: Record<string, unknown>; hooks: Array<Record<string, unknown> & { env?: Record<string, string> }> };
    assert.deepEqual([out.target.ip, out.target.port, out.target.service], ['10.2.0.2', 80, 'app.service']);
    const [touch, drain, page, restart] = out.hooks;
    assert.deepEqual(touch.argv, [join(dir, 'hooks/fix.sh'), sentinel]);
    assert.equal(touch.cwd, dir);
    assert.equal(touch.dry_run, false);
    assert.deepEqual(
      ['BACKEND_NAME', 'BACKEND_SERVER_NAME', 'BACKEND_SERVER_IP', 'HOST', 'HAPROXY_SOCKET', 'SSH_HOST', 'MODE', 'BREAKWATER_HOOK'].map((k) => touch.env?.[k]),
      ['be_app', 'app2', '10.2.0.2', 'lb2', '10.9.0.2:9999', 'lb2.example', 'gentle', 'touch'],
    );
    assert.match(String(drain.would), /set server be_app\/app2 state drain" to 10\.9\.0\.2:9999/);
    assert.equal(page.applies, false, 'on: resolved only');
    assert.deepEqual(restart.argv, ['systemctl', 'restart', 'app.service']);
    assert.equal(restart.run_if, 'previous_failed of touch');
    assert.equal(existsSync(sentinel), false, 'nothing ran');

    const text = await run(['test', '-c', pack, '--backend', 'be_app', '--server', 'app2', '--host', 'lb2']);
    assert.match(text.stdout, /^1\. touch \(exec\)$/m);
    assert.match(text.stdout, /^ {5}SSH_HOST="lb2\.example"$/m);
    const unlisted = await run(['test', '-c', pack, '--backend', 'be_app', '--server', 'app2', '--host', 'lb7']);
    assert.match(unlisted.stdout, /host lb7 is not in haproxy\.hosts .*would be skipped/);

    await assert.rejects(run(['test', '-c', pack, '--backend', 'be_app']), UsageError);
    await assert.rejects(run(['nope', '-c', pack, '--backend', 'b', '--server', 's']), /unknown hooks subcommand/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
