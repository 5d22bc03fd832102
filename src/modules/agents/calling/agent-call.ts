import type { Agent } from '../../../generated/prisma/client.ts';
import type { AgentCall } from './types.ts';

/** What calling an agent needs of its row. */
export type CallableAgent = Pick<Agent, 'kind' | 'webhookUrl' | 'webhookToken' | 'model' | 'apiKey'>;

/** Where and how `agent` is called: its webhook with its token, or its chat completions with its model and API key. */
export function endpointOf(agent: CallableAgent): Pick<AgentCall, 'url' | 'token' | 'chatCompletions'> {
  if (agent.kind === 'OPENAI_COMPATIBLE' && agent.model) {
    return { url: agent.webhookUrl, token: agent.apiKey, chatCompletions: { model: agent.model } };
  }
  return { url: agent.webhookUrl, token: agent.webhookToken };
}
