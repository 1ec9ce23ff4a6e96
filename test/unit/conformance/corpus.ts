import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

/**
 * Location of the shared conformance corpus (README.md there): `BREAKWATER_CORPUS`, else
 * `../shared/corpus` next to the checkout. Missing corpus is a loud failure, never a skip.
 */
export const CORPUS = resolve(
  process.env.BREAKWATER_CORPUS ?? join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/corpus'),
);

export function requireCorpus(): void {
  assert.ok(
    existsSync(join(CORPUS, 'README.md')),
    `CONFORMANCE CORPUS MISSING at ${CORPUS}: set BREAKWATER_CORPUS to the corpus directory ` +
      '(filebeat/, haproxy-doc/, other/). These tests cannot prove parser conformance without it.',
  );
}

/** Every HAProxy log file of the corpus. */
export const CORPUS_LOGS = [
  'filebeat/log/default.log',
  'filebeat/log/haproxy.log',
  'filebeat/log/httplog-no-headers.log',
  'filebeat/log/tcplog.log',
  'filebeat/http/haproxy.log',
  'haproxy-doc/examples.log',
  'other/datadog-integrations-core/samples.log',
  'other/lnav/haproxy_log-format-samples.log',
  'other/lnav/logfile_haproxy.0',
] as const;

export interface CorpusLine {
  file: string;
  /** 1-based line number. */
  no: number;
  /** Byte offset of the line in its file. */
  offset: number;
  text: string;
}

/** The lines of a corpus file with their byte offsets; a final newline does not make a line. */
export function corpusLines(file: string): CorpusLine[] {
  const text = readFileSync(join(CORPUS, file), 'utf8');
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  let offset = 0;
  return parts.map((t, i) => {
    const line = { file, no: i + 1, offset, text: t };
    offset += Buffer.byteLength(t) + 1;
    return line;
  });
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(join(CORPUS, file), 'utf8')) as T;
}

export function readText(file: string): string {
  return readFileSync(join(CORPUS, file), 'utf8');
}
