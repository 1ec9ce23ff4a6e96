// Stopping and starting the local services (scripts/services.sh) for fault tests and the soak run.
// Only servers that script started can be stopped: stopService fails loudly otherwise, so a test
// never believes it cut off a server it does not control.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'services.sh');

export type ServiceName = 'kafka' | 'clickhouse';

/** Runs scripts/services.sh with these arguments; resolves to its stdout + stderr. */
export async function servicesScript(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run('bash', [SCRIPT, ...args], { timeout: 180_000 });
  return stdout + stderr;
}

/** Stops a server scripts/services.sh started (SIGTERM, waits for the exit). */
export async function stopService(name: ServiceName): Promise<void> {
  const out = await servicesScript('down', name);
  if (!new RegExp(`${name}: stopped`).test(out)) throw new Error(`scripts/services.sh did not stop ${name} (only servers it started can be stopped): ${out}`);
}

/** Starts it again and waits until it answers. */
export async function startService(name: ServiceName): Promise<void> {
  await servicesScript('up', name);
}
