import { Agent, request } from 'node:http';

export interface LoadOptions {
  /** Requests per second (default 60). */
  rate?: number;
  /** Stop after this long (default 60 s): the generator is always bounded. */
  durationMs?: number;
  /** Stop after this many requests (default rate × duration). */
  maxRequests?: number;
}

export interface LoadStats {
  sent: number;
  completed: number;
  /** Responses by HTTP status; network errors under "error". */
  byStatus: Record<string, number>;
}

export interface LoadRun {
  readonly stats: LoadStats;
  /** Stops sending, waits for the requests in flight, returns the totals. */
  stop(): Promise<LoadStats>;
  /** Resolves when the duration or count bound is reached and every request has completed. */
  done: Promise<LoadStats>;
}

const PATHS = ['/', '/api/items', '/api/items/42', '/static/app.js', '/missing/page', '/api/cart'];

/**
 * HTTP load against 127.0.0.1:port at a steady rate: half the requests on a keep-alive agent,
 * half on fresh connections (as browsers and API clients mix them); mostly hits, a few 404s.
 */
export function startLoad(port: number, options: LoadOptions = {}): LoadRun {
  const rate = options.rate ?? 60;
  const durationMs = options.durationMs ?? 60_000;
  const maxRequests = options.maxRequests ?? Math.ceil((rate * durationMs) / 1000);
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 16 });
  const fresh = new Agent({ keepAlive: false });
  const stats: LoadStats = { sent: 0, completed: 0, byStatus: {} };
  const inFlight = new Set<Promise<void>>();
  const startedAt = Date.now();
  const tally = (key: string) => {
    stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
    stats.completed++;
  };

  const fire = () => {
    const n = stats.sent++;
    const p = new Promise<void>((resolve) => {
      const req = request(
        { host: '127.0.0.1', port, path: PATHS[n % PATHS.length], agent: n % 2 ? keepAlive : fresh, timeout: 5000 },
        (res) => {
          res.resume();
          res.on('end', () => { tally(String(res.statusCode)); resolve(); });
          res.on('error', () => { tally('error'); resolve(); });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => { tally('error'); resolve(); });
      req.end();
    });
    inFlight.add(p);
    void p.then(() => inFlight.delete(p));
  };

  let stopped = false;
  let finish!: () => void;
  const bounded = new Promise<void>((resolve) => (finish = resolve));
  // Catch up on the schedule every tick, so timer jitter does not lower the rate.
  const timer = setInterval(() => {
    const due = Math.min(maxRequests, Math.floor(((Date.now() - startedAt) * rate) / 1000) + 1);
    while (!stopped && stats.sent < due) fire();
    if (stats.sent >= maxRequests || Date.now() - startedAt >= durationMs) finish();
  }, 10);

  const drain = async () => {
    stopped = true;
    clearInterval(timer);
    while (inFlight.size) await Promise.all([...inFlight]);
    keepAlive.destroy();
    fresh.destroy();
    return stats;
  };
  const done = bounded.then(drain);
  return {
    stats,
    done,
    stop: async () => {
      finish();
      return done;
    },
  };
}
