import { loadPipeline, type Pipeline } from '../config/pipeline.js';
import { UsageError } from './command.js';

/** The pipeline of a long-running command (`ship`, `process`, `run`): `-c FILE` and `--port N`. */
export function pipelineFromArgs(values: { config?: string; port?: string }, positionals: string[]): Pipeline {
  if (!values.config) throw new UsageError('-c PIPELINE.yaml is required');
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const pipeline = loadPipeline(values.config);
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: not a TCP port: ${values.port}`);
    pipeline.http.port = port;
  }
  return pipeline;
}
