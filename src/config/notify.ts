import { z } from 'zod';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

export const WebhookReceiverSchema = z
  .object({
    name: z.string().min(1).describe('Receiver name (the Alertmanager payload\'s `receiver`, and the target in hook_runs).'),
    url_env: envName.describe('Environment variable holding the webhook URL (secret: never written to config, logs or hook_runs).'),
    send_resolved: z.boolean().default(true).describe('Also notify when the alert resolves.'),
  })
  .strict();

export const SlackReceiverSchema = z
  .object({
    name: z.string().min(1).describe('Receiver name (the target in hook_runs).'),
    webhook_url_env: envName.describe('Environment variable holding the Slack incoming-webhook URL (secret).'),
    send_resolved: z.boolean().default(true).describe('Also post when the alert resolves.'),
  })
  .strict();

/** The `notify` section of a pipeline file: who hears about alerts, and how. */
export const NotifySchema = z
  .object({
    bus: z
      .boolean()
      .default(false)
      .describe('Also publish alert lifecycle events to breakwater.alerts from the notifier. Off: `breakwater run`/`process` already publish every alert there durably; turn on only when the dispatcher runs without the processor.'),
    webhooks: z.array(WebhookReceiverSchema).default([]).describe('Generic webhooks receiving the Alertmanager webhook (version 4) JSON payload.'),
    slack: z.array(SlackReceiverSchema).default([]).describe('Slack incoming webhooks receiving a readable message.'),
    external_url: z.string().default('').describe('Base URL of this Breakwater (Alertmanager `externalURL`); empty when there is none.'),
    severity: z.string().min(1).default('warning').describe('The `severity` label of notifications.'),
    escalate: z.boolean().default(true).describe('Notify again (with diagnostics and what was tried) when a repaired alert does not recover within hooks.verify.deadline_s.'),
    queue_size: z.number().int().positive().default(1000).describe('Pending notifications kept per receiver; beyond it the oldest are dropped (detection never waits on a notifier).'),
    retries: z.number().int().min(0).max(10).default(3).describe('Retries of a failed delivery (network error, 429 or 5xx).'),
    backoff_ms: z.number().int().min(0).default(500).describe('First retry delay; doubles on each retry.'),
    timeout_ms: z.number().int().positive().default(5000).describe('Timeout of one delivery attempt.'),
  })
  .strict();

export type NotifyConfig = z.infer<typeof NotifySchema>;
export { envName };
