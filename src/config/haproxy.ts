import { z } from 'zod';

/** The `haproxy` section of a pipeline file. */
export const HaproxySchema = z.object({}).strict();

export type HaproxyConfig = z.infer<typeof HaproxySchema>;
