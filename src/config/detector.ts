import { z } from 'zod';

/** The `detector` section of a pipeline file. */
export const DetectorSchema = z.object({}).strict();

export type DetectorConfig = z.infer<typeof DetectorSchema>;
