/**
 * Run by security.test.ts in a child process (so its pino log on stderr can be read): a
 * dispatcher whose webhooks, Slack URL and HMAC key are secrets in env, with receivers that
 * fail in every way, and a hook that prints its whole environment. Prints hook_runs as JSON.
 */
import { RepairDispatcher } from '../../../src/repair/dispatcher.js';
import { RecordingStore, alertEvent, pipeline } from './fixtures.js';

const store = new RecordingStore();
const d = new RepairDispatcher({
  pipeline: pipeline({
    hooks: {
      dry_run: false,
      diagnostics: { enabled: false },
      repair: [
        { name: 'printenv', type: 'exec', argv: ['env'], cooldown_s: 0 },
        { name: 'remote', type: 'http', url_env: 'BW_SECRET_HOOK_URL', hmac_secret_env: 'BW_SECRET_KEY', retries: 1, backoff_ms: 10, cooldown_s: 0 },
      ],
    },
    notify: {
      bus: false,
      retries: 1,
      backoff_ms: 10,
      webhooks: [{ name: 'am', url_env: 'BW_SECRET_AM_URL' }],
      slack: [{ name: 'chat', webhook_url_env: 'BW_SECRET_SLACK_URL' }],
    },
  }),
  baseDir: process.cwd(),
  store,
  bus: null,
});
await d.dispatch(alertEvent({ alert_id: 'sec1' }));
await d.dispatch(alertEvent({ alert_id: 'sec1', state: 'resolved', resolved_at: '2026-11-21T00:11:00.000Z' }));
await d.close();
process.stdout.write(JSON.stringify(store.hookRuns));
