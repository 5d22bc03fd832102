import { createTransport, type Transporter } from 'nodemailer';
import type { Config } from '../../config.ts';
import type { Lead } from '../../generated/prisma/client.ts';
import type { Logger } from '../../logger.ts';
import { signalsOf } from './messages.ts';

/** Bounds on one SMTP exchange, so that a dead mail server cannot pile up sends. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };
const MAX_LABEL_LENGTH = 100;

/** A lead that just turned HOT, with the addresses to tell and the team's name (read in the same transaction). */
export type HotLeadNotice = { tenantName: string; recipients: string[]; lead: Lead };

/**
 * Emails the tenant's notification addresses when a lead turns HOT, one message per address.
 * Without SMTP_URL it only logs. Sending happens in the background: failures are logged and
 * never reach the request or the inbound message that caused them.
 */
export class LeadNotifier {
  private readonly transport: Transporter | null;

  constructor(
    private readonly mail: Config['mail'],
    private readonly logger: Logger,
  ) {
    this.transport = mail.smtpUrl ? createTransport({ url: mail.smtpUrl, ...SMTP_TIMEOUTS }) : null;
  }

  /** Starts sending and returns at once. */
  notifyHot(notice: HotLeadNotice): void {
    const { lead, recipients } = notice;
    if (recipients.length === 0) return;
    const transport = this.transport;
    if (!transport) {
      this.logger.info({ leadId: lead.id, recipients: recipients.length }, 'HOT lead notification not sent: SMTP_URL is not set');
      return;
    }
    const message = compose(notice);
    for (const to of recipients) {
      transport.sendMail({ from: this.mail.from, to, ...message }).then(
        () => this.logger.info({ leadId: lead.id }, 'HOT lead notification sent'),
        (error: unknown) => this.logger.warn({ leadId: lead.id, err: error }, 'HOT lead notification failed'),
      );
    }
  }
}

/** Subject, plain text and HTML of the notice; every value from users is escaped in the HTML. */
function compose({ tenantName, lead }: HotLeadNotice) {
  const label = (lead.name ?? lead.email ?? lead.phone ?? 'A new lead').replace(/\s+/g, ' ').slice(0, MAX_LABEL_LENGTH);
  const decidedBy = lead.intentSource === 'OVERRIDE' ? 'set by a team member' : `by the classifier, score ${lead.score}`;
  const details: [string, string][] = [
    ['Name', lead.name ?? '—'],
    ['Email', lead.email ?? '—'],
    ['Phone', lead.phone ?? '—'],
    ['Source', lead.source],
    ['Intent', `${lead.intent} (${decidedBy})`],
    ['Lead id', lead.id],
  ];
  const signals = signalsOf(lead).map(({ signal, weight, evidence }) => `${signal} (${weight > 0 ? '+' : ''}${weight}): ${evidence.join(', ')}`);
  const intro = `A lead of ${tenantName} turned HOT.`;
  const text = [
    intro,
    '',
    ...details.map(([key, value]) => `${key}: ${value}`),
    '',
    'Signals:',
    ...(signals.length ? signals.map((line) => `- ${line}`) : ['- none']),
  ].join('\n');
  const html = [
    `<p>${escapeHtml(intro)}</p>`,
    '<table>',
    ...details.map(([key, value]) => `<tr><th align="left">${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`),
    '</table>',
    '<p>Signals:</p>',
    `<ul>${(signals.length ? signals : ['none']).map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>`,
  ].join('\n');
  return { subject: `HOT lead: ${label}`, text, html };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
