import { z } from 'zod';

/** The `hooks` section of a pipeline file. */
export const HooksSchema = z.object({}).strict();

export type HooksConfig = z.infer<typeof HooksSchema>;
