import { spawn } from 'node:child_process';
import { CappedOutput } from './output.js';

export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  output: string;
  /** Set when the program could not be started (ENOENT, EACCES …). */
  spawnError: string | null;
  durationMs: number;
}

export interface ProcessOptions {
  cwd?: string;
  env: Record<string, string>;
  timeoutMs: number;
  outputCapBytes: number;
  /** Delay between SIGTERM and SIGKILL of the process group on timeout. */
  killGraceMs?: number;
}

/**
 * Runs argv without a shell in its own process group (so a timeout kills the program and
 * everything it started), with stdin closed and stdout+stderr captured up to a cap.
 */
export function runProcess(argv: string[], opts: ProcessOptions): Promise<ProcessResult> {
  const started = Date.now();
  const output = new CappedOutput(opts.outputCapBytes);
  return new Promise((resolve) => {
    let timedOut = false;
    let done = false;
    let spawnError: string | null = null;
    const child = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // The group is already gone.
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => {
        killGroup('SIGKILL');
        // Grandchildren holding the pipes open must not keep us waiting past the kill.
        setTimeout(() => finish(null, 'SIGKILL'), 1000).unref();
      }, opts.killGraceMs ?? 2000);
    }, opts.timeoutMs);
    const finish = (code: number | null, signal: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      if (timedOut) killGroup('SIGKILL');
      resolve({ exitCode: code, signal, timedOut, output: output.toString(), spawnError, durationMs: Date.now() - started });
    };
    child.stdout.on('data', (d: Buffer) => output.push(d));
    child.stderr.on('data', (d: Buffer) => output.push(d));
    child.on('error', (err) => {
      spawnError = err.message;
      finish(null, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
}
