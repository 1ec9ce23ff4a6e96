/**
 * Secrets reach Breakwater only through environment variables named in the config. Every
 * text written to hook_runs or the log passes through here so that a secret echoed back by a
 * receiver, a URL in an error message or a script printing its env never lands in storage.
 */
export class Redactor {
  private readonly secrets: string[];

  constructor(envNames: Iterable<string>, env: NodeJS.ProcessEnv = process.env) {
    const values = new Set<string>();
    for (const name of envNames) {
      const v = env[name];
      if (v && v.length >= 4) {
        values.add(v);
        try {
          const u = new URL(v);
          // The secret part of a webhook URL is its path/query; a decoded copy may show up too.
          if (u.pathname.length > 4) values.add(u.pathname);
          if (u.search.length > 4) values.add(u.search);
        } catch {
          // Not a URL: the value alone.
        }
      }
    }
    // Longest first so a URL is replaced whole before its path is.
    this.secrets = [...values].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('[redacted]');
    return out;
  }
}
