import { z } from 'zod';

/** The `stats` section of a pipeline file. */
export const StatsSchema = z.object({}).strict();

export type StatsConfig = z.infer<typeof StatsSchema>;
