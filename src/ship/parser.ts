import { createParser, type ParserOptions } from '../haproxy/parser.js';
import type { ParseResult } from '../haproxy/event.js';
import type { Pipeline } from '../config/pipeline.js';

/** The line parser a pipeline's `parser` section asks for (format, timezone). */
export function pipelineParser(pipeline: Pick<Pipeline, 'parser'>): (line: string) => ParseResult {
  const section = pipeline.parser as ParserOptions;
  return createParser({ format: section.format, timezone: section.timezone });
}
