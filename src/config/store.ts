import { z } from 'zod';

/** The `store` section of a pipeline file. */
export const StoreSchema = z.object({}).strict();

export type StoreConfig = z.infer<typeof StoreSchema>;
