// Where a stage's CPU goes, load-independent (Linux /proc): this process's main thread, its other
// threads named `node` (V8's GC and compiler helpers, libuv's pool: gzip, file writes), its worker
// threads, the chdb engine's threads (every other name), the local Kafka broker (a java process
// with `kafka` on its command line) and the whole machine's busy time.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const TICK_US = 10_000; // USER_HZ = 100

export interface CpuSample {
  /** CPU µs by group: main, node (helper threads), worker, engine, broker. */
  groups: Map<string, number>;
  /** Busy and total CPU µs of the whole machine (all cores). */
  machineBusyUs: number;
  machineTotalUs: number;
}

function statTicks(path: string): { name: string; us: number } | null {
  try {
    const stat = readFileSync(path, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { name: stat.slice(stat.indexOf('(') + 1, close), us: (Number(fields[11]) + Number(fields[12])) * TICK_US };
  } catch {
    return null; // the thread or process ended between the listing and the read
  }
}

let brokerPid: string | null | undefined;

function findBroker(): string | null {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.startsWith('java') && cmd.includes('kafka')) return pid;
    } catch {
      // gone
    }
  }
  return null;
}

/** `workerTids`: thread ids of this process's worker threads (to tell them from V8's helpers). */
export function cpuSample(workerTids: ReadonlySet<string> = new Set()): CpuSample {
  const groups = new Map<string, number>();
  const add = (group: string, us: number) => groups.set(group, (groups.get(group) ?? 0) + us);
  for (const tid of readdirSync('/proc/self/task')) {
    const t = statTicks(`/proc/self/task/${tid}/stat`);
    if (!t) continue;
    if (tid === String(process.pid)) add('main', t.us);
    else if (workerTids.has(tid)) add('worker', t.us);
    else add(t.name === 'node' ? 'node' : 'engine', t.us);
  }
  brokerPid ??= findBroker();
  const broker = brokerPid ? statTicks(`/proc/${brokerPid}/stat`) : null;
  if (broker) add('broker', broker.us);
  const cpuLine = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = cpuLine[3] + cpuLine[4];
  const total = cpuLine.slice(0, 8).reduce((a, b) => a + b, 0);
  return { groups, machineBusyUs: (total - idle) * TICK_US, machineTotalUs: total * TICK_US };
}

/** Thread ids of this process now (take before and after starting workers to find theirs). */
export function threadIds(): Set<string> {
  return new Set(readdirSync('/proc/self/task'));
}

export interface CpuUse {
  /** CPU µs per event by group (main, worker, node, engine, broker). */
  perEvent: Map<string, number>;
  /** This process's CPU µs per event (the broker's excluded), and with the broker's. */
  processUs: number;
  totalUs: number;
  /** Cores the whole machine kept busy on average. */
  coresBusy: number;
}

const GROUPS = ['main', 'worker', 'node', 'engine', 'broker'];

export function cpuUse(before: CpuSample, after: CpuSample, events: number): CpuUse {
  const perEvent = new Map<string, number>();
  let processUs = 0;
  let totalUs = 0;
  for (const group of GROUPS) {
    const us = ((after.groups.get(group) ?? 0) - (before.groups.get(group) ?? 0)) / events;
    if (us <= 0) continue;
    perEvent.set(group, us);
    totalUs += us;
    if (group !== 'broker') processUs += us;
  }
  const total = after.machineTotalUs - before.machineTotalUs;
  const coresBusy = ((after.machineBusyUs - before.machineBusyUs) / Math.max(total, 1)) * cpus().length;
  return { perEvent, processUs, totalUs, coresBusy };
}

/** µs per event of each group between two samples, and how busy the machine's cores were. */
export function cpuReport(before: CpuSample, after: CpuSample, events: number): string {
  const use = cpuUse(before, after, events);
  const parts = [...use.perEvent].map(([group, us]) => `${group} ${us.toFixed(2)}`);
  return `CPU µs/event: ${parts.join(', ')} (this process ${use.processUs.toFixed(2)}); machine ${use.coresBusy.toFixed(2)} of ${cpus().length} cores busy`;
}
