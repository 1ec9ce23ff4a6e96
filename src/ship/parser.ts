import { createParser, type ParserOptions } from '../haproxy/parser.js';
import type { ParseResult } from '../haproxy/event.js';
import type { Pipeline } from '../config/pipeline.js';

/** The parser options a pipeline's `parser` section asks for (format, timezone). */
export function pipelineParserOptions(pipeline: Pick<Pipeline, 'parser'>): ParserOptions {
  const section = pipeline.parser as ParserOptions;
  return { format: section.format, timezone: section.timezone };
}

/** The line parser a pipeline's `parser` section asks for. */
export function pipelineParser(pipeline: Pick<Pipeline, 'parser'>): (line: string) => ParseResult {
  return createParser(pipelineParserOptions(pipeline));
}
