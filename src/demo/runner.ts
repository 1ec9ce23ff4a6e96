/**
 * `breakwater demo`: simulated HAProxy traffic in which one backend server fails and recovers,
 * shipped through the same embedded pipeline `breakwater run` starts (PipelineRuntime), with
 * the connection-failures op pack. It narrates the alert firing, the runbook in dry run, the
 * resolution, and two correlation queries answered by the store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { loadPipeline, type Pipeline } from '../config/pipeline.js';
import type { AlertEvent } from '../detect/alert.js';
import { PipelineRuntime } from '../run/pipeline-runtime.js';
import { loadSavedQuery, resolveParams } from '../store/saved-queries.js';
import type { Store } from '../store/store.js';
import { demoTrafficOptions, writeTrafficFile, type TrafficTruth } from './traffic.js';
import { textTable } from './table.js';

export const DEMO_PACK = fileURLToPath(new URL('../../pipelines/haproxy-backend-connection-failures.yaml', import.meta.url));

export interface DemoOptions {
  /** Keep the store here (query it afterwards); default: a temp dir removed at the end. */
  dataDir?: string;
  seed?: number;
  /** Narration sink (one line per call). */
  out: (line: string) => void;
  /** Longest wait for the pipeline to go through the traffic. */
  timeoutMs?: number;
}

export interface DemoResult {
  lines: number;
  events: number;
  alerts: AlertEvent[];
  hookRuns: Record<string, unknown>[];
  queries: { name: string; rows: Record<string, unknown>[] }[];
  elapsedMs: number;
}

const hhmmss = (iso: string) => iso.slice(11, 19);

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

async function closedPort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * The op pack, pointed at the demo's log and store. Servers of be_app "live" on a closed local
 * port, so the read-only probes fail the way they would against a dead server; repairs stay in
 * the pack's dry run. Checks needing a real HAProxy (config check, runtime API) are off.
 */
async function demoPipeline(dir: string, logFile: string, dataDir: string): Promise<Pipeline> {
  const p = loadPipeline(DEMO_PACK);
  const port = await closedPort();
  const server = (name: string) => [name, { ip: '127.0.0.1', port, health_url: `http://127.0.0.1:${port}/health` }];
  p.sources = { ...p.sources, files: [logFile], start_at: 'beginning', checkpoint_file: join(dir, 'ship-checkpoint.json'), host: 'demo', poll_interval_ms: 50 };
  p.store = { ...p.store, data_dir: dataDir, batch_ms: 200 };
  p.http = { ...p.http, enabled: false };
  p.stats = { ...p.stats, enabled: false };
  p.notify = { ...p.notify, webhooks: [], slack: [] };
  p.haproxy = {
    ...p.haproxy,
    log_file: logFile,
    config_file: join(dir, 'haproxy.cfg'),
    runtime_socket: join(dir, 'admin.sock'),
    backends: { be_app: { service: 'app.service', servers: Object.fromEntries(['app1', 'app2', 'app3'].map(server)) } },
  };
  p.hooks = {
    ...p.hooks,
    dry_run: true,
    kill_switch_file: undefined,
    diagnostics: { ...p.hooks.diagnostics, haproxy_check: false, runtime_stats: false, log_lines: 3 },
    verify: { ...p.hooks.verify, enabled: false },
  };
  return p;
}

async function savedQuery(store: Store, name: string, params: Record<string, string>) {
  const q = loadSavedQuery(name);
  if (!q) throw new Error(`saved query ${name} is missing`);
  return { name, description: q.description, rows: await store.query(q.sql, resolveParams(q, params)) };
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const say = opts.out;
  const dir = mkdtempSync(join(tmpdir(), 'breakwater-demo-'));
  const dataDir = opts.dataDir ?? join(dir, 'data');
  try {
    // Event time ends now, so the alerts are recent and "the last 24 h" queries see them.
    const traffic = demoTrafficOptions({ seed: opts.seed ?? 42, durationS: 240, rate: 30, hosts: ['lb1', 'lb2'] });
    traffic.incidents = traffic.incidents.map((i) => ({ ...i, atS: 110 }));
    traffic.start = new Date(Math.floor((Date.now() - traffic.durationS * 1000) / 1000) * 1000);
    const logFile = join(dir, 'haproxy.log');
    const truth: TrafficTruth = await writeTrafficFile(logFile, traffic);
    const [inc] = truth.incidents;
    say('breakwater demo: simulated HAProxy traffic through the embedded pipeline (in-process bus, embedded ClickHouse)');
    say('');
    say(`traffic   ${traffic.hosts.length} load balancers (${traffic.hosts.join(', ')}), ${traffic.backends.length} backends, ${truth.lines.toLocaleString('en-US')} httplog lines over ${duration(traffic.durationS * 1000)} of event time (UTC)`);
    say(`incident  ${inc.host} ${inc.backend}/${inc.server} refuses some connections at ${hhmmss(inc.degradedAt)}, dies at ${hhmmss(inc.deadAt)}, is restarted at ${hhmmss(inc.restartedAt)}`);
    if (inc.downLoggedAt && inc.upLoggedAt) say(`          HAProxy's health checks log it DOWN at ${hhmmss(inc.downLoggedAt)} and UP at ${hhmmss(inc.upLoggedAt)}`);
    say(`pipeline  ${DEMO_PACK.split('/').slice(-2).join('/')} (repairs in dry run)`);
    say('');

    const alerts: AlertEvent[] = [];
    const pipeline = await demoPipeline(dir, logFile, dataDir);
    const runtime = await PipelineRuntime.start({
      pipeline,
      baseDir: dirname(DEMO_PACK),
      dataDir,
      env: { ...process.env, KAFKA_BROKERS: '', CLICKHOUSE_URL: '' },
      groupId: 'breakwater-demo',
      onAlert: (a) => {
        alerts.push({ ...a });
        const where = `${a.host ?? '-'} ${a.backend ?? '-'}/${a.server ?? '-'}`;
        if (a.state === 'firing') say(`${hhmmss(a.at)}  alert firing    ${where}  [${a.rule}] ${a.summary}`);
        else say(`${hhmmss(a.at)}  alert resolved  ${where}  after ${duration(Date.parse(a.at) - Date.parse(a.fired_at))} back near its normal ${(a.baseline_ratio * 100).toFixed(2)}%`);
      },
    });
    let result: DemoResult;
    try {
      const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
      while (runtime.processor.stats.events < truth.lines) {
        if (Date.now() > deadline) throw new Error(`the pipeline processed ${runtime.processor.stats.events} of ${truth.lines} events in time`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await runtime.dispatcher.idle();
      await runtime.store.flush();
      const store = runtime.store;
      const firing = alerts.find((a) => a.state === 'firing');
      const hookRuns = firing
        ? await store.query(
            `SELECT phase, hook, status, substring(replaceRegexpAll(coalesce(reason, output), '\\s+', ' '), 1, 110) AS detail
             FROM hook_runs FINAL WHERE alert_id = {id:String} ORDER BY started_at, phase, hook`,
            { id: firing.alert_id },
          )
        : [];
      say('');
      if (firing) {
        say(`runbook   what ran for ${firing.backend}/${firing.server} (hook_runs, alert ${firing.alert_id}):`);
        say(textTable(hookRuns));
      } else {
        say('no alert fired: the detector saw nothing above normal');
      }
      const queries = [];
      if (firing) queries.push(await savedQuery(store, 'termination_around_alert', { alert_id: firing.alert_id, before_minutes: '5', after_minutes: '5' }));
      queries.push(
        await savedQuery(store, 'top_failing_servers', {
          from: traffic.start.toISOString().slice(0, 19).replace('T', ' '),
          to: new Date(Date.now() + 60_000).toISOString().slice(0, 19).replace('T', ' '),
        }),
      );
      for (const q of queries) {
        say('');
        say(`query     ${q.name}: ${q.description}`);
        say(textTable(q.rows));
      }
      const events = runtime.processor.stats.events;
      result = { lines: truth.lines, events, alerts, hookRuns, queries: queries.map(({ name, rows }) => ({ name, rows })), elapsedMs: Date.now() - started };
    } finally {
      await runtime.stop();
    }
    say('');
    say(`done in ${(result.elapsedMs / 1000).toFixed(1)} s: ${result.events.toLocaleString('en-US')} events stored, ${alerts.filter((a) => a.state === 'firing').length} alert(s).`);
    if (opts.dataDir) say(`the store is kept in ${opts.dataDir}: try  breakwater alerts --data ${opts.dataDir}`);
    say('next: breakwater run -c pipelines/haproxy-backend-connection-failures.yaml (edit sources.files and haproxy.* first)');
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
