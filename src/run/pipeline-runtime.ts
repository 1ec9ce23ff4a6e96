import { join } from 'node:path';
import type { Pipeline } from '../config/pipeline.js';
import type { AlertDispatcher, AlertEvent } from '../detect/alert.js';
import { TOPICS, type Bus } from '../bus/bus.js';
import { MemoryBus } from '../bus/memory.js';
import { busKind, openBus, type BusKind } from '../bus/open.js';
import { openStore } from '../store/open.js';
import type { SqlStore } from '../store/sql-store.js';
import { Shipper } from '../ship/shipper.js';
import { shipperFromPipeline } from '../ship/from-pipeline.js';
import { Processor } from '../process/processor.js';
import { BusStateStore, type StateStore } from '../process/state.js';
import { RepairDispatcher } from '../repair/dispatcher.js';
import { loadPendingRecoveries, PartitionRecoveries, PENDING_LOOKBACK_MS } from '../repair/pending.js';
import { StatsPollers } from '../stats/pollers.js';
import { startObservabilityServer, type ObservabilityServer } from '../observe/http.js';
import { log } from '../observe/log.js';
import { ProcessedAckBus } from './processed-ack-bus.js';
import { RejectsSink } from './rejects-sink.js';
import { FileStateStore } from './file-state.js';

export interface PipelineRuntimeOptions {
  pipeline: Pipeline;
  /** The pipeline file's directory: relative hook paths resolve against it. */
  baseDir: string;
  /** Embedded store directory (`--data DIR`); CLICKHOUSE_URL selects a server instead. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Consumer group of the processor (processors sharing it split the partitions). */
  groupId?: string;
  /** Sees every alert lifecycle event before notify and repair do (the demo narrates them). */
  onAlert?: (alert: AlertEvent) => void;
}

export const DEFAULT_GROUP = 'breakwater-process';

/**
 * `breakwater run`: the shipper, the processor (detector + store writes), the repair/notify
 * dispatcher, the runtime API poller and the /metrics endpoint in one process. Embedded by
 * default (in-process bus, chdb store); KAFKA_BROKERS / CLICKHOUSE_URL switch either to the
 * fleet's services. Each piece is started through its own class; this only wires them.
 */
export class PipelineRuntime {
  private stopping: Promise<void> | null = null;

  private constructor(
    readonly busKind: BusKind,
    readonly bus: Bus,
    readonly store: SqlStore,
    readonly dispatcher: RepairDispatcher,
    readonly processor: Processor,
    readonly rejects: RejectsSink,
    private readonly fileState: FileStateStore | null,
    readonly shipper: Shipper,
    readonly stats: StatsPollers | null,
    readonly http: ObservabilityServer | null,
  ) {}

  static async start(opts: PipelineRuntimeOptions): Promise<PipelineRuntime> {
    const { pipeline } = opts;
    const env = opts.env ?? process.env;
    const kind = busKind(pipeline.bus, env);
    const groupId = opts.groupId ?? DEFAULT_GROUP;
    const cleanups: Array<() => Promise<void>> = [];
    const undo = async () => {
      for (const c of cleanups.reverse()) await c().catch((err: Error) => log.warn({ err: err.message }, 'run: cleanup after a failed start'));
    };
    try {
      const opened = await openBus(pipeline.bus, env);
      const bus: Bus = opened instanceof MemoryBus ? new ProcessedAckBus(opened) : opened;
      cleanups.push(() => bus.close());
      await bus.ensureTopics([{ name: TOPICS.events }, { name: TOPICS.rejects }, { name: TOPICS.alerts }, { name: TOPICS.stats }]);
      const store = await openStore({ dataDir: opts.dataDir, config: pipeline.store, env });
      cleanups.push(() => store.close());

      const stats = pipeline.stats.enabled ? new StatsPollers({ stats: pipeline.stats, haproxy: pipeline.haproxy, bus, store }) : null;
      const repair = new RepairDispatcher({
        pipeline,
        baseDir: opts.baseDir,
        store,
        // The processor publishes every lifecycle event to breakwater.alerts itself.
        bus: null,
        env,
        serverStatus: stats ? (host, backend, server) => stats.latest(host, backend, server) : undefined,
      });
      cleanups.push(() => repair.close());
      // One process owns every incident: it resumes the recovery deadlines of the last run. With
      // Kafka, an incident belongs to its partition's owner: the processor restores it on assignment.
      if (kind === 'memory' && pipeline.hooks.verify.enabled) {
        await loadPendingRecoveries(store, Date.now() - PENDING_LOOKBACK_MS)
          .then((pending) => repair.restore(pending))
          .catch((err: Error) => log.warn({ err: err.message }, 'run: cannot reload the pending recovery deadlines'));
      }
      const dispatcher: AlertDispatcher = opts.onAlert ? narrated(repair, opts.onAlert) : repair;

      // Fleet: the compacted state topic. Embedded: a file beside the store, so baselines survive restarts.
      const fileState = kind === 'memory' ? await FileStateStore.open(join(opts.dataDir ?? pipeline.store.data_dir, 'detector-state.json')) : null;
      const state: StateStore = fileState ?? (await BusStateStore.open(bus, groupId));
      const partitionListener = kind === 'kafka' && pipeline.hooks.verify.enabled ? new PartitionRecoveries({ store, watcher: repair, lookbackMs: PENDING_LOOKBACK_MS }) : null;
      const processor = new Processor({ bus, store, state, detector: pipeline.detector, groupId, dispatcher, partitionListener });
      await processor.start();
      cleanups.push(async () => {
        await processor.stop();
        await fileState?.flush();
      });
      const rejects = new RejectsSink(bus, store, `${groupId}-rejects`);
      await rejects.start();
      cleanups.push(() => rejects.stop());

      stats?.start();
      if (stats) cleanups.push(() => stats.stop());

      const shipper = shipperFromPipeline(pipeline, bus);
      await shipper.start();
      cleanups.push(() => shipper.stop());

      const http = pipeline.http.enabled
        ? await startObservabilityServer({
            host: pipeline.http.host,
            port: pipeline.http.port,
            readiness: {
              bus: () => {
                const stalled = shipper.stalledFor();
                return stalled > 30 ? `no acknowledgement from the bus for ${Math.round(stalled)} s` : null;
              },
            },
          })
        : null;
      log.info(
        { pipeline: pipeline.name, bus: kind, store: env.CLICKHOUSE_URL ? 'clickhouse-server' : 'embedded', files: pipeline.sources.files, metrics: http?.url ?? null },
        'breakwater run: pipeline started',
      );
      return new PipelineRuntime(kind, bus, store, repair, processor, rejects, fileState, shipper, stats, http);
    } catch (err) {
      await undo();
      throw err;
    }
  }

  /**
   * Graceful stop, in data-flow order: the shipper stops reading and checkpoints what the bus
   * acknowledged (in embedded mode: what the processor has stored), the poller stops, the
   * processor stops with its detector state saved, hooks and notifications finish, the store
   * flushes.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    await this.shipper.stop();
    await this.stats?.stop();
    await this.processor.stop();
    await this.fileState?.flush();
    await this.rejects.stop();
    await this.dispatcher.close();
    await this.store.flush();
    await this.store.close();
    await this.bus.close();
    await this.http?.close();
    log.info('breakwater run: stopped');
  }
}

function narrated(inner: AlertDispatcher, onAlert: (a: AlertEvent) => void): AlertDispatcher {
  return {
    dispatch: (event) => {
      onAlert(event);
      return inner.dispatch(event);
    },
    close: () => inner.close(),
  };
}
