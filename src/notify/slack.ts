import type { Notification } from './notification.js';
import { digFurther, percent, where } from './notification.js';

/** Slack's mrkdwn control characters: a log-derived name cannot ping @channel or forge links. */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const HEAD = {
  firing: ':rotating_light: *FIRING*',
  resolved: ':white_check_mark: *RESOLVED*',
  escalation: ':sos: *ESCALATION: not recovered*',
} as const;

/** The incoming-webhook body: what, where, baseline vs now, what was tried, how to dig further. */
export function slackMessage(n: Notification): { text: string } {
  const a = n.alert;
  const e = slackEscape;
  const lines = [
    `${HEAD[n.kind]} ${e(a.rule)} on *${e(where(a))}* (pipeline ${e(n.pipeline)})`,
    e(a.summary),
    `• Now: ${a.observed} failures/window, ratio ${percent(a.observed_ratio)} of ${a.requests} requests`,
    `• Normal: ${a.baseline} failures/window, ratio ${percent(a.baseline_ratio)} (threshold ${a.threshold})`,
    `• Fired at ${e(a.fired_at)}${a.resolved_at ? `, resolved at ${e(a.resolved_at)}` : ''}${a.evaluations ? `, held ${a.evaluations} evaluation(s)` : ''}`,
  ];
  if (n.server_status) lines.push(`• HAProxy says: ${e(n.server_status)}`);
  if (a.time_to_recover_ms != null) lines.push(`• Recovered ${Math.round(a.time_to_recover_ms / 1000)} s after the first repair`);
  if (n.kind === 'escalation') lines.push(`• Still not recovered ${n.waited_s ?? '?'} s after the repair: a human is needed`);
  const repairs = n.tried.filter((t) => t.phase === 'repair');
  lines.push(repairs.length ? `• Tried: ${repairs.map((t) => `${e(t.hook)} ${t.status}${t.reason ? ` (${e(t.reason)})` : ''}`).join('; ')}` : '• Tried: nothing yet');
  const diags = n.tried.filter((t) => t.phase === 'diagnostic');
  if (n.kind === 'escalation' && diags.length) {
    lines.push('*Diagnostics:*');
    for (const d of diags) lines.push(`_${e(d.hook)}: ${d.status}_\n\`\`\`${e((d.output ?? '').slice(0, 600))}\`\`\``);
  }
  if (a.samples.length) lines.push(`*Samples:*\n\`\`\`${e(a.samples.slice(0, 3).join('\n').slice(0, 800))}\`\`\``);
  lines.push(`*Dig further:*\n${digFurther(a).map((c) => `\`${e(c)}\``).join('\n')}`);
  return { text: lines.join('\n') };
}
