import { z } from 'zod';

/** The `http` section of a pipeline file. */
export const HttpSchema = z.object({}).strict();

export type HttpConfig = z.infer<typeof HttpSchema>;
