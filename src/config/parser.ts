import { z } from 'zod';
import { assertTimezone } from '../haproxy/clock.js';
import { FORMAT_OPTION_NAMES } from '../haproxy/parser.js';
import { compileLogFormat } from '../haproxy/log-format.js';

function validFormat(format: string): boolean {
  if (FORMAT_OPTION_NAMES.includes(format)) return true;
  if (!format.includes('%')) return false;
  try {
    compileLogFormat(format);
    return true;
  } catch {
    return false;
  }
}

function validTimezone(tz: string): boolean {
  try {
    assertTimezone(tz);
    return true;
  } catch {
    return false;
  }
}

/** The `parser` section of a pipeline file. */
export const ParserSchema = z
  .object({
    format: z
      .string()
      .min(1)
      .default('auto')
      .refine(validFormat, {
        message: `must be one of ${FORMAT_OPTION_NAMES.join(', ')} or an HAProxy log-format string that compiles`,
      })
      .describe(
        'Log format of the HAProxy lines: `auto` (detects httplog, tcplog, httpslog, the CLF variants, connection errors, ' +
          'the legacy "Connect from" format and HAProxy status lines), a built-in name (`http`, `tcp`, `https`, `clf`, ' +
          '`httplog-clf`, `tcplog-clf`, `error-log`), or the log-format string from haproxy.cfg (`%ci:%cp [%tr] %ft …`).',
      ),
    timezone: z
      .string()
      .min(1)
      .default('UTC')
      .refine(validTimezone, { message: 'must be an IANA time zone name such as UTC or Europe/Paris' })
      .describe(
        'IANA time zone HAProxy writes its accept dates in (they carry no offset). Event timestamps are converted to UTC.',
      ),
  })
  .strict();

export type ParserConfig = z.infer<typeof ParserSchema>;
