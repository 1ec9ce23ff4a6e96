import type { Bus } from '../bus/bus.js';
import type { Store } from '../store/store.js';
import type { StatsConfig } from '../config/stats.js';
import { haproxyForHost, type HaproxyConfig } from '../config/haproxy.js';
import { StatsPoller, type HealthSignal } from './poller.js';

/**
 * The stats pollers of a pipeline: one for the HAProxy of `haproxy.hosts` each (a central
 * `process` watching a fleet through TCP runtime sockets), else one for the top-level HAProxy.
 */
export class StatsPollers {
  private readonly byHost = new Map<string | null, StatsPoller>();

  constructor(opts: { stats: StatsConfig; haproxy: HaproxyConfig; bus?: Bus; store?: Store }) {
    const hosts = Object.keys(opts.haproxy.hosts);
    if (hosts.length === 0) {
      this.byHost.set(null, new StatsPoller(opts));
      return;
    }
    for (const host of hosts) {
      const haproxy = haproxyForHost(opts.haproxy, host) as HaproxyConfig;
      this.byHost.set(host, new StatsPoller({ ...opts, haproxy, stats: { ...opts.stats, host } }));
    }
  }

  get size(): number {
    return this.byHost.size;
  }

  start(): void {
    for (const p of this.byHost.values()) p.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.byHost.values()].map((p) => p.stop()));
  }

  /** The last signal seen for a server of `host` (the single poller when hosts are not listed). */
  latest(host: string | null, backend: string, server: string): HealthSignal | undefined {
    const poller = this.byHost.get(host) ?? (this.byHost.size === 1 ? this.byHost.get(null) : undefined);
    return poller?.latest(backend, server);
  }
}
