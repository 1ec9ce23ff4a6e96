import { join } from 'node:path';
import { PipelineSchema, type Pipeline } from '../../../src/config/pipeline.js';
import type { HaproxyLab } from '../haproxy-lab.js';
import { haproxyBinary } from '../services.js';

/**
 * The connection-failures runbook pointed at a lab: tail its log, poll its runtime API, run
 * every diagnostic against the real HAProxy, and repair for real (not dry run) by restarting the
 * server through the lab's service manager. Resolution is shortened to keep tests quick.
 */
/** A lab as one `haproxy.hosts` entry: its HAProxy, its servers, its service manager (LAB_CONTROL_URL). */
export function labHostTarget(lab: HaproxyLab) {
  return {
    config_file: lab.configPath,
    log_file: lab.logFile,
    runtime_socket: lab.socketPath,
    backends: {
      [lab.backend]: {
        service: 'lab-app',
        servers: Object.fromEntries(
          lab.servers.map((s) => [s.name, { ip: '127.0.0.1', port: s.port, health_url: `http://127.0.0.1:${s.port}/health` }]),
        ),
      },
    },
    env: { LAB_CONTROL_URL: lab.controlUrl },
  };
}

export function labPipeline(lab: HaproxyLab, dir: string): Pipeline {
  return PipelineSchema.parse({
    name: 'e2e-connection-failures',
    haproxy: { binary: haproxyBinary(), ...labHostTarget(lab) },
    sources: { files: [lab.logFile], start_at: 'beginning', checkpoint_file: join(dir, 'ship-checkpoint.json'), host: 'e2e', poll_interval_ms: 100 },
    store: { data_dir: join(dir, 'data'), batch_ms: 200 },
    http: { port: 0 },
    detector: { resolve_after_s: 5, cooldown_s: 30, idle_advance_after_s: 2 },
    notify: { bus: true },
    // The poller's DOWN/UP events join the log's series only under the same host name.
    stats: { enabled: true, source: 'socket', interval_ms: 1000, host: lab.hostname },
    hooks: {
      dry_run: false,
      diagnostics: { cooldown_s: 60, log_lines: 20 },
      repair: [
        { name: 'probe_backend', type: 'probe_backend', timeout_ms: 3000 },
        {
          name: 'restart_backend',
          type: 'restart_service',
          argv: lab.restartArgv(),
          run_if: 'previous_failed',
          timeout_ms: 20_000,
        },
      ],
      verify: { deadline_s: 60 },
    },
  });
}
