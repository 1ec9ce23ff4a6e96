import { pipelineFromArgs } from './pipeline-args.js';
import { untilSignal } from '../run/signals.js';
import type { Command } from './command.js';
import { parseCommandArgs, EXIT } from './command.js';
import { ConfigError } from '../config/errors.js';
import { TOPICS, type Bus } from '../bus/bus.js';
import { busKind, openBus } from '../bus/open.js';
import { shipperFromPipeline } from '../ship/from-pipeline.js';
import { startObservabilityServer, type ObservabilityServer } from '../observe/http.js';
import { log } from '../observe/log.js';
import { setTimeout as sleep } from 'node:timers/promises';

const help = `usage: breakwater ship -c PIPELINE.yaml [--checkpoint FILE] [--port N]

Tails the HAProxy logs of the pipeline's \`sources\` (paths and globs), parses each line and
publishes events to Kafka topic haproxy.events (key host|backend|server) and unparsable lines to
haproxy.rejects. Byte offsets are checkpointed per file identity once Kafka acknowledged them
(acks=all): a restart resumes where it stopped; rotation (rename or copytruncate) loses no line.
While Kafka is slow or down, reading pauses (bounded memory) and sends are retried.

Kafka: KAFKA_BROKERS=host:port[,…] or bus.kafka.brokers in the pipeline file.
Serves /metrics, /healthz and /readyz on http.host:http.port (127.0.0.1:9464 by default).
Stops cleanly on SIGINT/SIGTERM (acknowledged offsets are saved).

options:
  -c, --config FILE     pipeline file (required)
      --checkpoint FILE overrides sources.checkpoint_file
      --port N          overrides http.port (0: any free port)

exit status: 0 after a clean stop, 78 for configuration errors (the message names the field).`;


/** Creates the topics, retrying while Kafka is unreachable (not a configuration error). */
async function ensureTopics(bus: Bus, stopped: () => boolean): Promise<void> {
  let backoff = 500;
  while (!stopped()) {
    try {
      await bus.ensureTopics([{ name: TOPICS.events }, { name: TOPICS.rejects }]);
      return;
    } catch (err) {
      log.warn({ err: (err as Error).message, retry_in_ms: backoff }, 'cannot create or list Kafka topics yet; retrying');
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 10_000);
    }
  }
}


export const command: Command = {
  name: 'ship',
  summary: 'tail HAProxy logs and publish events to Kafka (checkpointed, rotation-safe)',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      config: { type: 'string', short: 'c' },
      checkpoint: { type: 'string' },
      port: { type: 'string' },
    });
    if (!args) return EXIT.OK;
    const pipeline = pipelineFromArgs(args.values, args.positionals);
    if (args.values.checkpoint) pipeline.sources.checkpoint_file = args.values.checkpoint;
    if (busKind(pipeline.bus) !== 'kafka') {
      throw new ConfigError('bus.type: ship publishes to Kafka; set KAFKA_BROKERS or bus.kafka.brokers (the in-process bus is for `breakwater run`)');
    }
    const signal = untilSignal();
    let stopped = false;
    void signal.then(() => (stopped = true));
    const bus = await openBus(pipeline.bus);
    let server: ObservabilityServer | null = null;
    const shipper = shipperFromPipeline(pipeline, bus);
    try {
      if (pipeline.http.enabled) {
        server = await startObservabilityServer({
          host: pipeline.http.host,
          port: pipeline.http.port,
          readiness: {
            bus: () => {
              const stalled = shipper.stalledFor();
              return stalled > 30 ? `no acknowledgement from Kafka for ${Math.round(stalled)} s` : null;
            },
          },
        });
      }
      await Promise.race([ensureTopics(bus, () => stopped), signal]);
      if (!stopped) {
        await shipper.start();
        const sig = await signal;
        log.info({ signal: sig }, 'stopping shipper');
      }
    } finally {
      await shipper.stop();
      await bus.close();
      await server?.close();
    }
    return EXIT.OK;
  },
};
