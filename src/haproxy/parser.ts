import type { ParseResult } from './event.js';

/** `--format`: a built-in name or an HAProxy log-format string. */
export type FormatOption = 'auto' | 'http' | 'tcp' | 'clf' | 'https' | (string & {});

export interface ParserOptions {
  format?: FormatOption;
  /** IANA zone the HAProxy box writes its dates in; default UTC. */
  timezone?: string;
}

/** Builds a line parser. Never throws on input: bad lines come back as rejects. */
export function createParser(_options: ParserOptions = {}): (line: string) => ParseResult {
  return (line) => ({ ok: false, reject: { reason: 'parser not implemented', raw: line } });
}
