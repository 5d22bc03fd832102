import { z } from 'zod';
import { actorOf, isAdmin, type Viewer } from '../../auth/viewer.ts';
import type { Projection } from '../../db/projection.ts';
import { badInput, conflict, forbidden, notFound } from '../../errors.ts';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { Logger } from '../../logger.ts';
import { audioFileName, type AudioFile } from '../../uploads/audio-file.ts';
import { parseInput, withoutNul } from '../../validation.ts';
import { shareActiveAgent } from '../agents/active-agent.ts';
import type { AuditService } from '../audit/service.ts';
import type { Outbox, UnitOfWork } from '../events.ts';
import { toMessage, type TranscriptSegment } from './messages.ts';
import type { Transcriber, TranscriptionApi } from './transcriber.ts';

/** The consumer of `interaction.transcription_requested`: one job per request, retries included. */
export const TRANSCRIBE_CONSUMER = 'interactions.transcribe';

const settingsInput = z.object({
  agentId: z.string().max(100).nullish(),
  model: withoutNul(z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters')).nullish(),
});

type TenantProjection = Projection<Prisma.TenantInclude, Prisma.TenantSelect>;
export type RecordingDetails = { speakerId?: string | null; conversationId?: string | null; occurredAt?: Date | null };

/**
 * Interactions registered as recordings. Each is stored TRANSCRIBING with its audio, and a
 * durable job sends the audio to the team's transcription API (an OPENAI_COMPATIBLE agent's base
 * URL and key, with a model the team chose). The transcript, with speaker segments where the
 * provider gives them, makes the interaction READY and only then emits `interaction.created`;
 * a failure makes it FAILED with a reason, and `retryTranscription` tries again. A job run twice
 * (a crash before it was marked done) finds the interaction no longer TRANSCRIBING: the event
 * goes out once, though the provider may have been asked twice.
 */
export class Recordings {
  constructor(
    private readonly deps: { prisma: PrismaClient; outbox: Outbox; audit: AuditService; transcriber: Transcriber; logger: Logger },
  ) {}

  /** Sets the team's transcription API (null agentId: none). Admins only; audited as TENANT_UPDATED. */
  async configure(viewer: Viewer, input: z.input<typeof settingsInput>, projection: TenantProjection = {}) {
    if (!isAdmin(viewer)) throw forbidden('Only admins can change the team');
    const { agentId, model } = parseInput(settingsInput, input);
    if (agentId && !model) throw badInput('model', 'model: give the transcription model, e.g. whisper-1');
    const { tenantId } = viewer;
    return this.deps.outbox.transaction(async (unit) => {
      if (agentId && !(await shareActiveAgent(unit.tx, tenantId, agentId, 'OPENAI_COMPATIBLE'))) {
        throw badInput('agentId', 'agentId: your team has no active OPENAI_COMPATIBLE agent with this id');
      }
      const data = { transcriptionAgentId: agentId ?? null, transcriptionModel: agentId ? model! : null };
      await this.deps.audit.write({ tenantId, type: 'TENANT_UPDATED', ...actorOf(viewer), data: { fields: ['interactionTranscription'] } }, unit);
      return unit.tx.tenant.update({ ...projection, where: { id: tenantId }, data });
    });
  }

  /** Stores a recording as a TRANSCRIBING interaction, in `unit`, and asks for its transcript. */
  async register(unit: UnitOfWork, tenantId: string, audio: AudioFile, details: RecordingDetails) {
    const tenant = await unit.tx.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { transcriptionAgentId: true } });
    if (!tenant.transcriptionAgentId) {
      throw conflict('audio', 'Recordings need a transcription API: an admin sets one with setInteractionTranscription');
    }
    const interaction = await unit.tx.interaction.create({
      data: { tenantId, text: '', status: 'TRANSCRIBING', ...details, occurredAt: details.occurredAt ?? new Date() },
    });
    const { mimeType, size, sha256, bytes } = audio;
    await unit.tx.interactionAudio.create({ data: { interactionId: interaction.id, mimeType, size, sha256, bytes } });
    await unit.emit(tenantId, 'interaction.transcription_requested', { interactionId: interaction.id });
    return interaction;
  }

  /** Transcribes a TRANSCRIBING interaction and stores how it went; anything else is left as it is. */
  async transcribe(tenantId: string, interactionId: string, signal: AbortSignal): Promise<void> {
    const { prisma, transcriber, logger } = this.deps;
    const interaction = await prisma.interaction.findFirst({ where: { id: interactionId, tenantId, status: 'TRANSCRIBING' }, include: { audio: true } });
    if (!interaction?.audio) return;
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { transcriptionModel: true, transcriptionAgent: true } });
    const api = apiOf(tenant.transcriptionAgent, tenant.transcriptionModel);
    const { mimeType, size, sha256, bytes } = interaction.audio;
    const audio = { fileName: audioFileName(mimeType), mimeType, size, sha256, bytes };
    const result = api ? await transcriber.transcribe(api, audio, signal) : { reason: 'The team has no transcription API any more: an admin sets one, then retry' };
    const outcome =
      'reason' in result
        ? { error: result.reason }
        : result.transcript.text === ''
          ? { error: 'The provider heard no speech in the recording' }
          : result.transcript;
    if ('error' in outcome) logger.warn({ tenantId, interactionId, reason: outcome.error }, 'transcription failed');
    await this.finish(tenantId, interactionId, outcome);
  }

  /**
   * Asks again for the transcript of a FAILED recording, or of one left TRANSCRIBING with no job
   * pending (its job gave up, say while the database was down); CONFLICT for anything else.
   */
  async retryTranscription(tenantId: string, id: string) {
    return this.deps.outbox.transaction(async (unit) => {
      const current = await unit.tx.interaction.findFirst({ where: { id, tenantId } });
      if (!current) throw notFound('Interaction');
      const stalled = current.status === 'TRANSCRIBING' && !(await this.hasPendingJob(unit.tx, id));
      const { count } = await unit.tx.interaction.updateMany({
        where: { id, tenantId, status: stalled ? 'TRANSCRIBING' : 'FAILED' },
        data: { status: 'TRANSCRIBING', error: null },
      });
      const interaction = await unit.tx.interaction.findUniqueOrThrow({ where: { id } });
      if (count === 0) throw conflict('id', `Only a FAILED (or stalled) transcription can be retried; this interaction is ${interaction.status}`);
      await unit.emit(tenantId, 'interaction.transcription_requested', { interactionId: id });
      return interaction;
    });
  }

  /**
   * Whether a transcription of the interaction is still to come: its request waits in the outbox,
   * or its job is pending. In that order: the dispatcher turns the one into the other in one
   * transaction, so a request dispatched between the two reads is seen as its job.
   */
  private async hasPendingJob(db: Prisma.TransactionClient, interactionId: string): Promise<boolean> {
    const queued = await db.outboxEvent.count({
      where: { type: 'interaction.transcription_requested', dispatchedAt: null, data: { path: ['interactionId'], equals: interactionId } },
    });
    if (queued > 0) return true;
    const pending = await db.consumerJob.count({
      where: { consumer: TRANSCRIBE_CONSUMER, status: 'PENDING', payload: { path: ['data', 'interactionId'], equals: interactionId } },
    });
    return pending > 0;
  }

  private finish(tenantId: string, id: string, outcome: { text: string; segments: TranscriptSegment[] | null } | { error: string }) {
    return this.deps.outbox.transaction(async (unit) => {
      const data =
        'error' in outcome
          ? { status: 'FAILED' as const, error: outcome.error }
          : { status: 'READY' as const, error: null, text: outcome.text, segments: outcome.segments ?? undefined };
      const { count } = await unit.tx.interaction.updateMany({ where: { id, tenantId, status: 'TRANSCRIBING' }, data });
      if (count === 0 || 'error' in outcome) return;
      // Transcribed: the voice itself is not kept (the team keeps the text and segments).
      await unit.tx.interactionAudio.delete({ where: { interactionId: id } });
      await unit.emit(tenantId, 'interaction.created', toMessage(await unit.tx.interaction.findUniqueOrThrow({ where: { id } })));
    });
  }
}

/** The API an agent's settings name, when it is (still) an active OPENAI_COMPATIBLE agent. */
function apiOf(
  agent: { kind: string; isActive: boolean; baseUrl: string | null; apiKey: string | null } | null,
  model: string | null,
): TranscriptionApi | null {
  if (!agent || agent.kind !== 'OPENAI_COMPATIBLE' || !agent.isActive || !agent.baseUrl || !model) return null;
  return { baseUrl: agent.baseUrl, apiKey: agent.apiKey, model };
}
