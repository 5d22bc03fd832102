import { z } from 'zod';
import { lockOwnedRow } from '../../db/row-locks.ts';
import { listenToDomainEvents, type AppEventMessage, type Outbox } from '../events.ts';
import { badInput, notFound } from '../../errors.ts';
import type { Lead, LeadIntent, LeadSource, Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { PubSub } from '../../pubsub/pubsub.ts';
import { AsyncQueue } from '../../pubsub/queue.ts';
import { displayName, email, parseInput, withoutNul } from '../../validation.ts';
import { classify } from './classifier.ts';
import { hasActiveIntentAgent, inboundTexts } from './conversation-leads.ts';
import { fromMessage } from './messages.ts';
import { verdictFor, type LeadRecorder, type LeadState } from './recorder.ts';

export const MAX_SEARCH_LENGTH = 200;

/** E.164-ish: an optional +, then 7 to 15 digits; spaces, dots, dashes and brackets between them are dropped. */
const phone = z
  .string()
  .transform((value) => value.replace(/[\s().-]/g, ''))
  .pipe(z.string().regex(/^\+?[1-9]\d{6,14}$/, 'must be a phone number: an optional +, then 7 to 15 digits'));
const notes = withoutNul(z.string().max(5000, 'must be at most 5000 characters')).transform((text) => (text.trim() ? text : null));

const detailsInput = z.object({ name: displayName(200).nullish(), email: email.nullish(), phone: phone.nullish(), notes: notes.nullish() });
const listInput = z.object({
  filter: z.object({
    search: withoutNul(z.string().trim().max(MAX_SEARCH_LENGTH, `must be at most ${MAX_SEARCH_LENGTH} characters`)).nullish(),
  }),
});

type Details = z.input<typeof detailsInput>;
export type CreateLeadInput = Details & { source?: LeadSource | null; intent?: LeadIntent | null };
/** `intent` hands the intent to the team (OVERRIDE); `resetIntent` hands it back to the classifier (RULES). */
export type UpdateLeadInput = Details & { source?: LeadSource | null; intent?: LeadIntent | null; resetIntent?: boolean | null };
export type LeadFilter = { source?: LeadSource | null; intent?: LeadIntent | null; search?: string | null };

/** What `leadChanged` sends: the lead as it now is, or only its id once deleted. */
export type LeadEvent = { type: 'CREATED' | 'UPDATED' | 'DELETED'; leadId: string; lead: Lead | null };

const eventTypes = { 'lead.created': 'CREATED', 'lead.updated': 'UPDATED', 'lead.deleted': 'DELETED' } as const;

/**
 * The tenant's leads, made by hand here or from channel conversations (see ConversationLeadTracker).
 * Members and admins alike read and change them; every change goes through the recorder, which
 * emits its event and notifies the team when a lead first turns HOT.
 */
export class LeadsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    private readonly pubsub: PubSub,
    private readonly recorder: LeadRecorder,
  ) {}

  /** Newest first. `query` is a Prisma projection and page chosen by the caller. */
  list(tenantId: string, filter: LeadFilter | null | undefined, query: Omit<Prisma.LeadFindManyArgs, 'where' | 'orderBy'>) {
    const { search } = parseInput(listInput, { filter: { search: filter?.search } }).filter;
    const where: Prisma.LeadWhereInput = {
      tenantId,
      ...(filter?.source ? { source: filter.source } : {}),
      ...(filter?.intent ? { intent: filter.intent } : {}),
      ...(search ? containing(search) : {}),
    };
    return this.prisma.lead.findMany({ ...query, where, orderBy: { id: 'desc' } });
  }

  async get(tenantId: string, id: string): Promise<Lead> {
    const lead = await this.prisma.lead.findFirst({ where: { id, tenantId } });
    if (!lead) throw notFound('Lead');
    return lead;
  }

  /** A lead entered by hand: classified from its notes unless an intent is given (which the team then owns). */
  create(tenantId: string, input: CreateLeadInput): Promise<Lead> {
    const parsed = parseInput(detailsInput, input);
    const state = {
      name: parsed.name ?? null,
      email: parsed.email ?? null,
      phone: parsed.phone ?? null,
      notes: parsed.notes ?? null,
      source: input.source ?? 'MANUAL',
      contactId: null,
    };
    assertIdentified(state);
    const { intent, score, signals } = classify({ messages: [], notes: state.notes });
    const intentSource = input.intent ? 'OVERRIDE' : 'RULES';
    return this.outbox.transaction((unit) =>
      this.recorder.create(unit, { tenantId, ...state, intentSource, intent: input.intent ?? intent, score, signals }),
    );
  }

  /**
   * Changes what the input names: null clears name, email, phone and notes, and leaves source
   * and intent as they are. Every update re-classifies the lead (its conversation and notes).
   */
  update(tenantId: string, id: string, input: UpdateLeadInput): Promise<Lead> {
    const parsed = parseInput(detailsInput, input);
    if (input.intent && input.resetIntent) throw badInput('resetIntent', 'resetIntent: give either intent or resetIntent, not both');
    return this.outbox.transaction(async (unit) => {
      const current = await lockOwned(unit.tx, tenantId, id);
      const state = {
        name: parsed.name === undefined ? current.name : parsed.name,
        email: parsed.email === undefined ? current.email : parsed.email,
        phone: parsed.phone === undefined ? current.phone : parsed.phone,
        notes: parsed.notes === undefined ? current.notes : parsed.notes,
        source: input.source ?? current.source,
      };
      if (current.conversationId === null) assertIdentified(state);
      const intentSource = input.intent ? 'OVERRIDE' : input.resetIntent ? 'RULES' : current.intentSource;
      const messages = current.conversationId ? await inboundTexts(unit.tx, current.conversationId) : [];
      const next: Partial<LeadState> = {
        ...state,
        intentSource,
        ...(input.intent ? { intent: input.intent } : {}),
        ...verdictFor(intentSource, classify({ messages, notes: state.notes }), intentSource === 'AI' && (await hasActiveIntentAgent(unit.tx, tenantId))),
      };
      return this.recorder.update(unit, current, next);
    });
  }

  /** Deletes a lead and answers its id; its conversation, if any, stays. */
  delete(tenantId: string, id: string): Promise<string> {
    return this.outbox.transaction(async (unit) => {
      await this.recorder.delete(unit, await lockOwned(unit.tx, tenantId, id));
      return id;
    });
  }

  /** Every lead created, changed or deleted in the tenant, live. */
  async follow(tenantId: string): Promise<AsyncIterableIterator<LeadEvent>> {
    const stops: (() => Promise<void>)[] = [];
    const queue = new AsyncQueue<LeadEvent>(async () => {
      await Promise.allSettled(stops.map((stop) => stop()));
    });
    const onEvent = (event: AppEventMessage<keyof typeof eventTypes>) => {
      const message = event.data;
      const type = eventTypes[event.type];
      queue.push({ type, leadId: message.id, lead: type === 'DELETED' ? null : fromMessage(message, tenantId) });
    };
    try {
      for (const type of Object.keys(eventTypes) as (keyof typeof eventTypes)[]) {
        stops.push(await listenToDomainEvents(this.pubsub, tenantId, type, onEvent));
      }
    } catch (error) {
      await queue.return();
      throw error;
    }
    return queue;
  }
}

/**
 * Leads whose name, email, phone or notes contain `search`, ignoring case. Prisma hands
 * `contains` to LIKE as it is, so LIKE's wildcards are escaped to match only themselves.
 */
function containing(search: string): Prisma.LeadWhereInput {
  const pattern = search.replace(/[\\%_]/g, '\\$&');
  return { OR: (['name', 'email', 'phone', 'notes'] as const).map((field) => ({ [field]: { contains: pattern, mode: 'insensitive' as const } })) };
}

/** A lead entered by hand must say who it is. */
function assertIdentified(state: { name: string | null; email: string | null; phone: string | null }) {
  if (!state.name && !state.email && !state.phone) throw badInput('name', 'name: give at least a name, an email or a phone');
}

/** Locks the lead for the rest of the transaction, so that concurrent changes (and the HOT claim) see each other. */
async function lockOwned(tx: Prisma.TransactionClient, tenantId: string, id: string): Promise<Lead> {
  if (!(await lockOwnedRow(tx, 'leads', tenantId, id))) throw notFound('Lead');
  return tx.lead.findUniqueOrThrow({ where: { id } });
}
