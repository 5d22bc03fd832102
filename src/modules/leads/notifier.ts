import type { Lead } from '../../generated/prisma/client.ts';
import { escapeHtml, type Mailer } from '../../mail/mailer.ts';
import { signalsOf } from './messages.ts';

const MAX_LABEL_LENGTH = 100;

/** A lead that just turned HOT, with the addresses to tell and the team's name (read in the same transaction). */
export type HotLeadNotice = { tenantName: string; recipients: string[]; lead: Lead };

/**
 * Emails the tenant's notification addresses when a lead turns HOT, one message per address.
 * Sending happens in the background: failures are logged and never reach the request or the
 * inbound message that caused them.
 */
export class LeadNotifier {
  constructor(private readonly mailer: Mailer) {}

  /** Starts sending and returns at once. */
  notifyHot(notice: HotLeadNotice): void {
    const message = compose(notice);
    for (const to of notice.recipients) this.mailer.send({ to, ...message }, { leadId: notice.lead.id, mail: 'hot-lead' });
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
