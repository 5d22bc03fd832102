import type { Catalogue } from '../../events/catalogue.ts';
import type { AgentMessage } from './messages.ts';

export type AgentEvents = {
  'agent.created': AgentMessage;
  'agent.updated': AgentMessage;
  'agent.deleted': AgentMessage;
};

export const agentEvents = {
  'agent.created': { webhook: true, description: 'An agent was created.' },
  'agent.updated': { webhook: true, description: 'An agent was changed.' },
  'agent.deleted': { webhook: true, description: 'An agent was deleted.' },
} as const satisfies Catalogue<AgentEvents>;
