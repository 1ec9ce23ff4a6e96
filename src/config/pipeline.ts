import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { ParserSchema } from './parser.js';
import { SourcesSchema } from './sources.js';
import { BusSchema } from './bus.js';
import { HttpSchema } from './http.js';
import { StoreSchema } from './store.js';
import { DetectorSchema } from './detector.js';
import { NotifySchema } from './notify.js';
import { HooksSchema } from './hooks.js';
import { StatsSchema } from './stats.js';
import { HaproxySchema } from './haproxy.js';

/**
 * A pipeline definition (pipelines/*.yaml). Each concern owns its section schema in its own
 * file under src/config/ and is composed here; every knob has a default so a minimal pack works.
 */
export const PipelineSchema = z
  .object({
    name: z.string().min(1).describe('Name of the pipeline (op pack), used in logs and alerts.'),
    description: z.string().optional().describe('What incident this pack handles.'),
    // `.prefault({})`: an absent section is parsed from {} so its own defaults apply.
    haproxy: HaproxySchema.prefault({}),
    parser: ParserSchema.prefault({}),
    sources: SourcesSchema.prefault({}),
    bus: BusSchema.prefault({}),
    http: HttpSchema.prefault({}),
    store: StoreSchema.prefault({}),
    detector: DetectorSchema.prefault({}),
    notify: NotifySchema.prefault({}),
    hooks: HooksSchema.prefault({}),
    stats: StatsSchema.prefault({}),
  })
  .strict();

export type Pipeline = z.infer<typeof PipelineSchema>;

/** Reads and validates a pipeline file; a bad field raises ConfigError naming its path. */
export function loadPipeline(path: string): Pipeline {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read pipeline file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid YAML: ${(err as Error).message}`);
  }
  const parsed = PipelineSchema.safeParse(doc ?? {});
  if (!parsed.success) throw ConfigError.fromZod(path, parsed.error);
  return parsed.data;
}
