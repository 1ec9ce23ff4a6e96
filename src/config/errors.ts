import type { ZodError } from 'zod';

/** Invalid configuration. The message names the offending field by its path. */
export class ConfigError extends Error {
  constructor(message: string, readonly issues: string[] = []) {
    super(message);
    this.name = 'ConfigError';
  }

  /** `where` is the file or "environment"; each zod issue becomes `where: a.b[2].c: message`. */
  static fromZod(where: string, err: ZodError): ConfigError {
    const issues = err.issues.map((i) => {
      const path = i.path
        .map((p, idx) => (typeof p === 'number' ? `[${p}]` : idx === 0 ? String(p) : `.${String(p)}`))
        .join('');
      return `${path || '(root)'}: ${i.message}`;
    });
    return new ConfigError(`invalid configuration in ${where}:\n  ${issues.join('\n  ')}`, issues);
  }
}
