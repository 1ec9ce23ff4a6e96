import { z } from 'zod';

/** The `bus` section of a pipeline file. */
export const BusSchema = z.object({}).strict();

export type BusConfig = z.infer<typeof BusSchema>;
