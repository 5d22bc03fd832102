import type { UnitOfWork } from '../events.ts';
import type { IntentSource, Lead, LeadIntent, LeadSource } from '../../generated/prisma/client.ts';
import type { Classification, LeadSignal } from './classifier.ts';
import { signalsOf, toMessage } from './messages.ts';

/** Every column of a lead that a change may set. */
export type LeadState = {
  name: string | null;
  email: string | null;
  phone: string | null;
  notes: string | null;
  source: LeadSource;
  intent: LeadIntent;
  intentSource: IntentSource;
  signals: LeadSignal[];
  score: number;
  contactId: string | null;
};

type Verdict = Partial<Pick<LeadState, 'signals' | 'score' | 'intent' | 'intentSource'>>;

/**
 * The rules' verdict as lead columns: signals and score, and the intent while it is theirs to
 * set. A model's verdict (AI) stands while `aiDecides` (the team has an intent agent, which
 * decides again); otherwise the rules take it back.
 */
export function verdictFor(intentSource: IntentSource, { intent, score, signals }: Classification, aiDecides = false): Verdict {
  if (intentSource === 'OVERRIDE') return { score, signals };
  if (intentSource === 'AI' && aiDecides) return {};
  return { intent, score, signals, intentSource: 'RULES' };
}

/**
 * Writes leads inside a unit of work with what every write owes: `lead.created`,
 * `lead.updated` (only when something changed) or `lead.deleted` in the outbox, and, the first
 * time a lead is HOT, `hotNotifiedAt` with `lead.turned_hot`, which the hot-lead email reacts to.
 */
export class LeadRecorder {
  async create(unit: UnitOfWork, data: LeadState & { tenantId: string; conversationId?: string | null }): Promise<Lead> {
    const hot = data.intent === 'HOT';
    const lead = await unit.tx.lead.create({ data: { ...data, hotNotifiedAt: hot ? new Date() : null } });
    await unit.emit(lead.tenantId, 'lead.created', toMessage(lead));
    if (hot) await unit.emit(lead.tenantId, 'lead.turned_hot', toMessage(lead));
    return lead;
  }

  /** Writes the columns of `next` that differ from `current`, which the caller has locked (FOR UPDATE). */
  async update(unit: UnitOfWork, current: Lead, next: Partial<LeadState>): Promise<Lead> {
    const changes = changesOf(current, next);
    if (!changes) return current;
    const turnsHot = (changes.intent ?? current.intent) === 'HOT' && current.hotNotifiedAt === null;
    const lead = await unit.tx.lead.update({ where: { id: current.id }, data: { ...changes, ...(turnsHot ? { hotNotifiedAt: new Date() } : {}) } });
    await unit.emit(lead.tenantId, 'lead.updated', toMessage(lead));
    if (turnsHot) await unit.emit(lead.tenantId, 'lead.turned_hot', toMessage(lead));
    return lead;
  }

  async delete(unit: UnitOfWork, lead: Lead): Promise<void> {
    await unit.tx.lead.delete({ where: { id: lead.id } });
    await unit.emit(lead.tenantId, 'lead.deleted', toMessage(lead));
  }
}

/** The columns of `next` whose values differ from the lead's; null when none does. */
function changesOf(current: Lead, next: Partial<LeadState>): Partial<LeadState> | null {
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    const same = key === 'signals' ? JSON.stringify(value) === JSON.stringify(signalsOf(current)) : value === current[key as keyof Lead];
    if (!same) changes[key] = value;
  }
  return Object.keys(changes).length > 0 ? (changes as Partial<LeadState>) : null;
}
