import { pipelineFromArgs } from './pipeline-args.js';
import { dirname, resolve } from 'node:path';
import type { Command } from './command.js';
import { parseCommandArgs, EXIT } from './command.js';
import { PipelineRuntime } from '../run/pipeline-runtime.js';
import { untilSignal } from '../run/signals.js';
import { log } from '../observe/log.js';

const help = `usage: breakwater run -c PIPELINE.yaml [--data DIR] [--port N]

Runs the whole pipeline in one process: the shipper tails the pipeline's \`sources\`, the
processor learns each server's failure baseline and raises alerts, the store keeps events,
alerts and hook runs, and the dispatcher notifies and runs diagnostics and repair hooks.

Embedded by default, nothing to install: an in-process bus and embedded ClickHouse (chdb) under
store.data_dir (./.breakwater/data). Fleet services instead when set:
  KAFKA_BROKERS=host:port[,…]   Kafka bus (several \`run\` or \`process\` instances share the work)
  CLICKHOUSE_URL=http://…:8123  ClickHouse server store

Serves /metrics, /healthz and /readyz on http.host:http.port (127.0.0.1:9464 by default).
SIGINT/SIGTERM stop it gracefully: reading stops, acknowledged offsets are checkpointed, the
detector state is saved, running hooks finish, the store is flushed. Embedded mode is
at-least-once too: the file checkpoint only moves past lines whose events are stored, and the
detector state is kept in store.data_dir/detector-state.json, so baselines survive restarts.
Repair cooldowns and circuit breakers count the hook runs the store recorded before a restart.

options:
  -c, --config FILE  pipeline file (required), e.g. pipelines/haproxy-backend-connection-failures.yaml
      --data DIR     embedded store directory (overrides store.data_dir)
      --port N       overrides http.port (0: any free port)

exit status: 0 after a clean stop, 78 for configuration errors (the message names the field).`;

export const command: Command = {
  name: 'run',
  summary: 'ship, detect, store, notify and repair in one process (embedded by default)',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      config: { type: 'string', short: 'c' },
      data: { type: 'string' },
      port: { type: 'string' },
    });
    if (!args) return EXIT.OK;
    const pipeline = pipelineFromArgs(args.values, args.positionals);
    const signal = untilSignal();
    const runtime = await PipelineRuntime.start({
      pipeline,
      baseDir: dirname(resolve(args.values.config!)),
      dataDir: args.values.data,
    });
    const sig = await signal;
    log.info({ signal: sig }, 'breakwater run: stopping');
    await runtime.stop();
    return EXIT.OK;
  },
};
