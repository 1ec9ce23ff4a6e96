import { z } from 'zod';

/** The `sources` section of a pipeline file. */
export const SourcesSchema = z.object({}).strict();

export type SourcesConfig = z.infer<typeof SourcesSchema>;
