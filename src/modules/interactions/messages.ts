import type { Interaction } from '../../generated/prisma/client.ts';

/**
 * An interaction as `interaction.created` carries it, to subscribers and in webhook bodies:
 * JSON only, and only what the API shows (the body around it names the tenant).
 */
export type InteractionMessage = {
  id: string;
  text: string;
  speakerId: string | null;
  conversationId: string | null;
  occurredAt: string;
  createdAt: string;
};

export function toMessage(interaction: Interaction): InteractionMessage {
  const { id, text, speakerId, conversationId, occurredAt, createdAt } = interaction;
  return { id, text, speakerId, conversationId, occurredAt: occurredAt.toISOString(), createdAt: createdAt.toISOString() };
}

export function fromMessage(message: InteractionMessage, tenantId: string): Interaction {
  return { ...message, tenantId, occurredAt: new Date(message.occurredAt), createdAt: new Date(message.createdAt) };
}
