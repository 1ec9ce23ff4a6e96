import { z } from 'zod';

/** The `notify` section of a pipeline file. */
export const NotifySchema = z.object({}).strict();

export type NotifyConfig = z.infer<typeof NotifySchema>;
