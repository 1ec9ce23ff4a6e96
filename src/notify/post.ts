import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PostOptions {
  timeoutMs: number;
  retries: number;
  /** First retry delay; doubles each retry. */
  backoffMs: number;
  /** HMAC-SHA256 signing: `header: sha256=<hex of HMAC(key, timestamp + "." + body)>`. */
  sign?: { key: string; header: string };
}

export interface PostResult {
  ok: boolean;
  status: number | null;
  attempts: number;
  /** What happened, without the URL (it is a secret). */
  detail: string;
}

export const TIMESTAMP_HEADER = 'X-Breakwater-Timestamp';

export function signBody(key: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}


function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/** POSTs JSON with retries and exponential backoff on network errors, 429 and 5xx. Never throws. */
export async function postJson(url: string, payload: unknown, opts: PostOptions): Promise<PostResult> {
  const body = JSON.stringify(payload);
  let lastDetail = '';
  let lastStatus: number | null = null;
  for (let attempt = 1; attempt <= opts.retries + 1; attempt++) {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'breakwater' };
    if (opts.sign) {
      const ts = String(Math.floor(Date.now() / 1000));
      headers[TIMESTAMP_HEADER] = ts;
      headers[opts.sign.header] = signBody(opts.sign.key, ts, body);
    }
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(opts.timeoutMs), redirect: 'manual' });
      const text = (await res.text().catch(() => '')).slice(0, 500);
      lastStatus = res.status;
      lastDetail = `HTTP ${res.status}${text ? `: ${text}` : ''}`;
      if (res.ok) return { ok: true, status: res.status, attempts: attempt, detail: lastDetail };
      if (!retryable(res.status)) return { ok: false, status: res.status, attempts: attempt, detail: lastDetail };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      lastStatus = null;
      lastDetail = e.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : `${e.message}${e.cause ? ` (${e.cause.code ?? e.cause.message})` : ''}`;
    }
    if (attempt <= opts.retries) await sleep(opts.backoffMs * 2 ** (attempt - 1));
  }
  return { ok: false, status: lastStatus, attempts: opts.retries + 1, detail: lastDetail };
}
