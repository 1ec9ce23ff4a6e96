import type { Pipeline } from '../config/pipeline.js';
import type { Bus } from '../bus/bus.js';
import { Shipper } from './shipper.js';
import { WorkerEncoder } from './encoder.js';
import { pipelineParser, pipelineParserOptions } from './parser.js';

/** The shipper a pipeline's `sources` and `parser` sections describe (`ship` and `run` alike). */
export function shipperFromPipeline(pipeline: Pick<Pipeline, 'sources' | 'parser'>, bus: Bus): Shipper {
  const encoder = pipeline.sources.encode_thread ? new WorkerEncoder(pipelineParserOptions(pipeline)) : undefined;
  return new Shipper({ sources: pipeline.sources, bus, parse: pipelineParser(pipeline), encoder });
}
