import type { Agent, AgentKind, Prisma } from '../../generated/prisma/client.ts';
import { avatarPath } from './avatar.ts';

/** What the service reads with every agent it answers or describes: the avatar's hash, never its bytes. */
export const withAvatarHash = { avatar: { select: { sha256: true } } } as const satisfies Prisma.AgentInclude;

export type AgentWithAvatarHash = Agent & { avatar: { sha256: string } | null };

/**
 * An agent as `agent.created`, `agent.updated` and `agent.deleted` carry it in webhook bodies:
 * JSON only, and only what the API shows. The webhook token and the API key are never in it, only
 * whether there is one.
 */
export type AgentMessage = {
  id: string;
  name: string;
  description: string | null;
  kind: AgentKind;
  webhookUrl: string;
  hasWebhookToken: boolean;
  baseUrl: string | null;
  model: string | null;
  hasApiKey: boolean;
  systemPrompt: string | null;
  config: Prisma.JsonValue;
  isActive: boolean;
  avatarUrl: string | null;
  createdAt: string;
  updatedAt: string;
};

export function toMessage(agent: AgentWithAvatarHash): AgentMessage {
  const { id, name, description, kind, webhookUrl, webhookToken, baseUrl, model, apiKey, systemPrompt, config, isActive, avatar, createdAt, updatedAt } =
    agent;
  return {
    id,
    name,
    description,
    kind,
    webhookUrl,
    hasWebhookToken: webhookToken !== null,
    baseUrl,
    model,
    hasApiKey: apiKey !== null,
    systemPrompt,
    config,
    isActive,
    avatarUrl: avatar ? avatarPath(id, avatar.sha256) : null,
    createdAt: createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
  };
}
