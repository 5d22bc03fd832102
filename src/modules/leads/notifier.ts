import type { EffectKeys } from '../../events/effect-keys.ts';
import type { Lead, PrismaClient } from '../../generated/prisma/client.ts';
import { escapeHtml, type Mailer } from '../../mail/mailer.ts';
import { fromMessage, signalsOf, type LeadMessage } from './messages.ts';

const MAX_LABEL_LENGTH = 100;

/**
 * Emails the tenant's notification addresses when a lead turns HOT (`lead.turned_hot`), one
 * message per address. It runs as a durable job: a failed send is retried, and each address
 * that got its email is remembered, so a retry or a crash never sends it twice.
 */
export class LeadNotifier {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly mailer: Mailer,
    private readonly effects: EffectKeys,
  ) {}

  /** Sends what is not sent yet; throws when a send failed, for the job to be retried. */
  async notifyHot(tenantId: string, turnedHot: LeadMessage): Promise<void> {
    const tenant = await this.prisma.tenant.findUnique({ where: { id: tenantId }, select: { name: true, notificationEmails: true } });
    if (!tenant) return;
    const lead = fromMessage(turnedHot, tenantId);
    const message = compose(tenant.name, lead);
    for (const to of tenant.notificationEmails) {
      await this.effects.once(`hot-lead:${lead.id}:${to}`, async () => {
        await this.mailer.deliver({ to, ...message }, { leadId: lead.id, mail: 'hot-lead' });
        return null;
      });
    }
  }
}

/** Subject, plain text and HTML of the notice; every value from users is escaped in the HTML. */
function compose(tenantName: string, lead: Lead) {
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
