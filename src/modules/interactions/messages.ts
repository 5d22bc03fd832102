import type { Interaction } from '../../generated/prisma/client.ts';

/** A stretch of a transcript, with its speaker where the provider told speakers apart; times in seconds. */
export type TranscriptSegment = { speaker: string | null; start: number; end: number; text: string };

/**
 * An interaction as `interaction.created` carries it, to subscribers and in webhook bodies:
 * JSON only, and only what the API shows (the body around it names the tenant). It is sent once
 * the interaction is READY: at once for text, once transcribed for a recording (`segments`).
 */
export type InteractionMessage = {
  id: string;
  text: string;
  speakerId: string | null;
  conversationId: string | null;
  occurredAt: string;
  createdAt: string;
  /** A recording's transcript segments; left out for text, and when the provider gave none. */
  segments?: TranscriptSegment[];
};

export function toMessage(interaction: Interaction): InteractionMessage {
  const { id, text, speakerId, conversationId, occurredAt, createdAt } = interaction;
  const segments = interaction.segments as TranscriptSegment[] | null;
  return {
    id,
    text,
    speakerId,
    conversationId,
    occurredAt: occurredAt.toISOString(),
    createdAt: createdAt.toISOString(),
    ...(segments ? { segments } : {}),
  };
}

export function fromMessage({ segments, ...message }: InteractionMessage, tenantId: string): Interaction {
  return {
    ...message,
    tenantId,
    occurredAt: new Date(message.occurredAt),
    createdAt: new Date(message.createdAt),
    status: 'READY',
    error: null,
    segments: segments ?? null,
  };
}
