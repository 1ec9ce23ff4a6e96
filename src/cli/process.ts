import { pipelineFromArgs } from './pipeline-args.js';
import { untilSignal } from '../run/signals.js';
import { dirname, resolve } from 'node:path';
import type { Command } from './command.js';
import { parseCommandArgs, EXIT } from './command.js';
import { TOPICS } from '../bus/bus.js';
import { busKind, openBus } from '../bus/open.js';
import { openStore } from '../store/open.js';
import { RepairDispatcher } from '../repair/dispatcher.js';
import { PartitionRecoveries, PENDING_LOOKBACK_MS } from '../repair/pending.js';
import { RejectsSink } from '../run/rejects-sink.js';
import { StatsPollers } from '../stats/pollers.js';
import { Processor } from '../process/processor.js';
import { BusStateStore, MemoryStateStore, type StateStore } from '../process/state.js';
import { startObservabilityServer, type ObservabilityServer } from '../observe/http.js';
import { log } from '../observe/log.js';

const help = `usage: breakwater process -c PIPELINE.yaml [--group NAME] [--data DIR] [--port N] [--no-stats]

Consumes haproxy.events in a Kafka consumer group (run any number of processors with the same
group: they split the partitions), learns a failure baseline per series (host, backend, server
by default; the pipeline's detector section) and raises alerts when connection failures are
above normal. Events and alerts go to the store (CLICKHOUSE_URL, else embedded ClickHouse under
--data), alert lifecycle events to breakwater.alerts and to the pipeline's notifiers and repair
hooks. Detector state is checkpointed to the compacted topic breakwater.detector-state and
restored on restart and on partition reassignment; offsets are committed only after the events
are stored and the state saved. Lines the shippers could not parse (haproxy.rejects) are kept
in the store's rejects table. With stats.enabled, the runtime API of each haproxy.hosts entry
(or the top-level runtime_socket) is polled into server_status, haproxy.stats and health events;
with several processors, poll from one of them (--no-stats on the others). Repair cooldowns and
circuit breakers count the hook runs the store holds from before a restart (any processor's).
The recovery deadline of a repaired incident survives restarts and rebalances: the processor that
is assigned the incident's partition restores it from the store (escalating at once when it passed
meanwhile) and a revoked one stops watching it, so exactly one processor escalates.

options:
  -c, --config FILE   pipeline file (required)
      --group NAME    consumer group (default breakwater-process)
      --data DIR      embedded store directory (when CLICKHOUSE_URL is not set)
      --port N        overrides http.port (metrics, health; 0: any free port)
      --no-stats      do not run the stats poller even when stats.enabled

Stops cleanly on SIGINT/SIGTERM (state saved for every owned partition).
exit status: 0 after a clean stop, 78 for configuration errors (the message names the field).`;


export const command: Command = {
  name: 'process',
  summary: 'consume events from Kafka, detect above-normal connection failures, store and alert',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      config: { type: 'string', short: 'c' },
      group: { type: 'string', default: 'breakwater-process' },
      data: { type: 'string' },
      port: { type: 'string' },
      'no-stats': { type: 'boolean', default: false },
    });
    if (!args) return EXIT.OK;
    const pipeline = pipelineFromArgs(args.values, args.positionals);
    const signal = untilSignal();
    const group = args.values.group;
    const bus = await openBus(pipeline.bus);
    const store = await openStore({ dataDir: args.values.data, config: pipeline.store });
    // The processor publishes to breakwater.alerts itself (before committing), so the
    // dispatcher's notifier gets no bus: the topic carries each lifecycle event once.
    const stats = pipeline.stats.enabled && !args.values['no-stats'] ? new StatsPollers({ stats: pipeline.stats, haproxy: pipeline.haproxy, bus, store }) : null;
    const dispatcher = new RepairDispatcher({
      pipeline,
      baseDir: dirname(resolve(args.values.config!)),
      store,
      bus: null,
      serverStatus: stats ? (host, backend, server) => stats.latest(host, backend, server) : undefined,
    });
    const rejects = new RejectsSink(bus, store, `${group}-rejects`);
    let server: ObservabilityServer | null = null;
    let processor: Processor | null = null;
    try {
      await bus.ensureTopics([{ name: TOPICS.events }, { name: TOPICS.rejects }, { name: TOPICS.alerts }, { name: TOPICS.stats }]);
      const kafka = busKind(pipeline.bus) === 'kafka';
      const state: StateStore = kafka ? await BusStateStore.open(bus, group) : new MemoryStateStore();
      const partitionListener = kafka && pipeline.hooks.verify.enabled ? new PartitionRecoveries({ store, watcher: dispatcher, lookbackMs: PENDING_LOOKBACK_MS }) : null;
      processor = new Processor({ bus, store, state, detector: pipeline.detector, groupId: group, dispatcher, partitionListener });
      if (pipeline.http.enabled) {
        server = await startObservabilityServer({ host: pipeline.http.host, port: pipeline.http.port });
      }
      // The pollers first: they need no consumer group, and joining one can take seconds while
      // other processors rebalance.
      stats?.start();
      await processor.start();
      await rejects.start();
      log.info({ group, pipeline: pipeline.name, stats_pollers: stats?.size ?? 0 }, 'processor started');
      const sig = await signal;
      log.info({ signal: sig, ...processor.stats }, 'stopping processor');
    } finally {
      await stats?.stop();
      await processor?.stop();
      await rejects.stop();
      await dispatcher.close();
      await store.close();
      await bus.close();
      await server?.close();
    }
    return EXIT.OK;
  },
};
