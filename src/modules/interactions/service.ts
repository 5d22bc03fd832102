import { z } from 'zod';
import { actorOf, isAdmin, type Viewer } from '../../auth/viewer.ts';
import { map, pipe } from 'graphql-yoga';
import type { PubSub } from '../../pubsub/pubsub.ts';
import { domainEvents, type Outbox } from '../events.ts';
import { AppError, badInput, forbidden } from '../../errors.ts';
import type { NamedUpload } from '../../uploads/attachment-file.ts';
import { readAudio } from '../../uploads/audio-file.ts';
import type { Recordings } from './recordings.ts';
import type { Interaction, Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import { displayName, parseInput, withoutNul } from '../../validation.ts';
import type { AuditService } from '../audit/service.ts';
import { fromMessage, toMessage } from './messages.ts';

/** Callers' clocks drift: a moment a little ahead of ours is still plausibly "now" to them. */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;

const registerInput = z.object({
  text: withoutNul(z.string().max(10_000, 'must be at most 10000 characters'))
    .refine((text) => text.trim().length > 0, 'must not be empty')
    .nullish(),
  audio: z.custom<NamedUpload>((value) => typeof value === 'object' && value !== null && 'arrayBuffer' in value, 'must be a file').nullish(),
  speakerId: displayName(200).nullish(),
  conversationId: displayName(200).nullish(),
  occurredAt: z.coerce
    .date()
    .refine((date) => date.getTime() <= Date.now() + MAX_FUTURE_SKEW_MS, 'must not be more than 5 minutes in the future')
    .nullish(),
});

export type RegisterInteractionInput = z.input<typeof registerInput>;

/** Whether the tenant accepts interactions; `updatedAt` is null until an admin first changed it. */
export type ServiceStatus = { enabled: boolean; updatedAt: Date | null };

/** CONFLICT, not FORBIDDEN: the caller's rights are fine, the service's state is what refuses. */
const serviceDisabled = () => new AppError('CONFLICT', 'The interaction service is disabled');

export class InteractionsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    private readonly audit: AuditService,
    private readonly pubsub: PubSub,
    private readonly recordings: Recordings,
  ) {}

  /** Every interaction registered in the tenant, live. */
  follow(tenantId: string): AsyncIterable<Interaction> {
    return pipe(
      domainEvents(this.pubsub, tenantId, 'interaction.created'),
      map((event) => fromMessage(event.data, tenantId)),
    );
  }

  /**
   * Stores an interaction given as text, READY, and emits `interaction.created` in one
   * transaction; one given as a recording is stored TRANSCRIBING (see Recordings). Refused while disabled.
   */
  async register(tenantId: string, input: RegisterInteractionInput) {
    const { text, audio, speakerId, conversationId, occurredAt } = parseInput(registerInput, input);
    if ((text == null) === (audio == null)) throw badInput(audio == null ? 'text' : 'audio', 'Give either text or audio');
    const recording = audio ? await readAudio(audio, 'audio') : null;
    return this.outbox.transaction(async (unit) => {
      const { tx, emit } = unit;
      if (!(await this.statusIn(tx, tenantId)).enabled) throw serviceDisabled();
      if (recording) return this.recordings.register(unit, tenantId, recording, { speakerId, conversationId, occurredAt });
      const interaction = await tx.interaction.create({
        data: { tenantId, text: text!, speakerId, conversationId, occurredAt: occurredAt ?? new Date() },
      });
      await emit(tenantId, 'interaction.created', toMessage(interaction));
      return interaction;
    });
  }

  /** Newest registered first. `query` is a Prisma projection and page chosen by the caller. */
  list(tenantId: string, query: Omit<Prisma.InteractionFindManyArgs, 'where' | 'orderBy'>) {
    return this.prisma.interaction.findMany({ ...query, where: { tenantId }, orderBy: { id: 'desc' } });
  }

  status(tenantId: string): Promise<ServiceStatus> {
    return this.statusIn(this.prisma, tenantId);
  }

  /** Turns the tenant's interaction service on or off; admins only. */
  async setEnabled(viewer: Viewer, enabled: boolean): Promise<ServiceStatus> {
    if (!isAdmin(viewer)) throw forbidden('Only admins can enable or disable the interaction service');
    const { tenantId } = viewer;
    return this.outbox.transaction(async (unit) => {
      const state = await unit.tx.serviceState.upsert({ where: { tenantId }, create: { tenantId, enabled }, update: { enabled } });
      await this.audit.write({ tenantId, type: enabled ? 'SERVICE_ENABLED' : 'SERVICE_DISABLED', ...actorOf(viewer) }, unit);
      return { enabled: state.enabled, updatedAt: state.updatedAt };
    });
  }

  private async statusIn(db: Prisma.TransactionClient, tenantId: string): Promise<ServiceStatus> {
    const state = await db.serviceState.findUnique({ where: { tenantId } });
    return { enabled: state?.enabled ?? true, updatedAt: state?.updatedAt ?? null };
  }
}
