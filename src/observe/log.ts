import { pino, type Logger } from 'pino';

/**
 * The process logger: pino JSON on stderr (stdout is kept for command output such as
 * NDJSON events or --json summaries). Level from LOG_LEVEL, default info.
 */
export const log: Logger = pino(
  {
    name: 'breakwater',
    level: process.env.LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Secrets reach us only through env; never log them if a config object is logged whole.
    redact: { paths: ['*.password', '*.secret', '*.token', '*.hmac_secret', '*.webhook_url', 'headers.authorization'], censor: '[redacted]' },
  },
  pino.destination({ fd: 2, sync: false }),
);

export type { Logger };
