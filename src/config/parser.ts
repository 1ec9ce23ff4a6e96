import { z } from 'zod';

/** The `parser` section of a pipeline file. */
export const ParserSchema = z.object({}).strict();

export type ParserConfig = z.infer<typeof ParserSchema>;
