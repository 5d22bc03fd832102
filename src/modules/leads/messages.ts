import type { Lead, Prisma } from '../../generated/prisma/client.ts';
import type { LeadSignal } from './classifier.ts';

/**
 * A lead as `lead.created`, `lead.updated` and `lead.deleted` carry it, to `leadChanged`
 * subscribers and in webhook bodies: JSON only, and only what the API shows (the tenant is
 * implied by who receives it).
 */
export type LeadMessage = {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  notes: string | null;
  source: Lead['source'];
  intent: Lead['intent'];
  intentSource: Lead['intentSource'];
  signals: LeadSignal[];
  score: number;
  conversationId: string | null;
  contactId: string | null;
  hotNotifiedAt: string | null;
  createdAt: string;
  updatedAt: string;
};

export function toMessage(lead: Lead): LeadMessage {
  const { id, name, email, phone, notes, source, intent, intentSource, score, conversationId, contactId } = lead;
  return {
    id,
    name,
    email,
    phone,
    notes,
    source,
    intent,
    intentSource,
    signals: signalsOf(lead),
    score,
    conversationId,
    contactId,
    hotNotifiedAt: lead.hotNotifiedAt?.toISOString() ?? null,
    createdAt: lead.createdAt.toISOString(),
    updatedAt: lead.updatedAt.toISOString(),
  };
}

export function fromMessage(message: LeadMessage, tenantId: string): Lead {
  return {
    ...message,
    tenantId,
    signals: message.signals as unknown as Prisma.JsonValue,
    hotNotifiedAt: message.hotNotifiedAt ? new Date(message.hotNotifiedAt) : null,
    createdAt: new Date(message.createdAt),
    updatedAt: new Date(message.updatedAt),
  };
}

/** The signals as the classifier wrote them; the column only ever holds its output. */
export function signalsOf(lead: Pick<Lead, 'signals'>): LeadSignal[] {
  return Array.isArray(lead.signals) ? (lead.signals as unknown as LeadSignal[]) : [];
}
