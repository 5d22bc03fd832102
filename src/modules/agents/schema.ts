import { builder } from '../../schema/builder.ts';
import { MAX_AVATAR_BYTES } from '../../uploads/avatar-image.ts';
import { avatarPath } from './avatar.ts';
import { withAvatarHash } from './messages.ts';

/** Agents are part of what the whole team works with: changing them is an admin's decision. */
const adminWrite = { $all: { admin: true, scope: 'agents:write' } } as const;

const AgentKindEnum = builder.enumType('AgentKind', {
  description: 'How an agent is called.',
  values: {
    WEBHOOK: { description: "Its brain is an HTTP webhook (n8n style) that receives the conversation and answers it." },
    OPENAI_COMPATIBLE: {
      description:
        'A model behind an OpenAI-compatible chat-completions API (OpenAI, OpenRouter, Gemini, Ollama, vLLM, ...), ' +
        'called with `baseUrl`, `model` and the API key, replies streamed.',
    },
  },
});

const AgentRef = builder.prismaObject('Agent', {
  description: 'An AI agent that answers chats: an HTTP webhook (n8n style) or a model behind an OpenAI-compatible API (see `kind`).',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier.' }),
    name: t.exposeString('name', { description: 'What users see it called.' }),
    description: t.exposeString('description', { nullable: true, description: 'What the agent is for.' }),
    kind: t.expose('kind', { type: AgentKindEnum, description: 'How the agent is called: WEBHOOK or OPENAI_COMPATIBLE.' }),
    webhookUrl: t.exposeString('webhookUrl', {
      description:
        'Where each message of a chat is POSTed for the agent to answer: the webhook, or for an OPENAI_COMPATIBLE agent ' +
        '`<baseUrl>/chat/completions`.',
    }),
    hasWebhookToken: t.boolean({
      description: 'Whether calls to the webhook carry `Authorization: Bearer <webhookToken>`. The token itself is never shown.',
      select: { webhookToken: true },
      resolve: (agent) => agent.webhookToken !== null,
    }),
    baseUrl: t.exposeString('baseUrl', {
      nullable: true,
      description: 'OPENAI_COMPATIBLE agents: the API base URL, e.g. https://api.openai.com/v1. Null for WEBHOOK agents.',
    }),
    model: t.exposeString('model', { nullable: true, description: 'OPENAI_COMPATIBLE agents: the model every request names. Null for WEBHOOK agents.' }),
    hasApiKey: t.boolean({
      description: 'OPENAI_COMPATIBLE agents: whether calls carry `Authorization: Bearer <apiKey>`. The key itself is never shown.',
      select: { apiKey: true },
      resolve: (agent) => agent.apiKey !== null,
    }),
    systemPrompt: t.exposeString('systemPrompt', { nullable: true, description: 'Instructions sent to the webhook with every conversation.' }),
    config: t.expose('config', {
      type: 'JSON',
      description:
        'Free-form settings (a JSON object) sent to the webhook with every conversation. For an OPENAI_COMPATIBLE agent, ' +
        'extra chat-completions parameters (e.g. {"temperature": 0.2, "max_tokens": 500}); `model`, `messages` and `stream` are set by the server.',
    }),
    isActive: t.exposeBoolean('isActive', { description: 'Inactive agents are left out of `agents` unless asked for.' }),
    avatarUrl: t.string({
      nullable: true,
      description:
        "Path of the agent's picture on this server (e.g. /avatars/agents/<id>/<sha256>), loadable without credentials " +
        'and cacheable for good: a new picture gets a new URL. Null when it has none.',
      select: withAvatarHash,
      resolve: (agent) => (agent.avatar ? avatarPath(agent.id, agent.avatar.sha256) : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the agent was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When the agent, or its picture, last changed.' }),
  }),
});

const CreateAgentInput = builder.inputType('CreateAgentInput', {
  description: 'A new agent.',
  fields: (t) => ({
    name: t.string({ required: true, description: '1 to 100 characters, not only whitespace.' }),
    description: t.string({ description: 'What the agent is for, at most 1000 characters.' }),
    kind: t.field({ type: AgentKindEnum, description: 'WEBHOOK (the default) or OPENAI_COMPATIBLE; each takes only its own settings.' }),
    webhookUrl: t.string({
      description: 'WEBHOOK agents, required: an http(s) URL without credentials, reachable on a public address.',
    }),
    webhookToken: t.string({
      description:
        'WEBHOOK agents: sent as `Authorization: Bearer <token>` to the webhook: 1 to 1000 printable ASCII characters, no spaces. Write-only.',
    }),
    baseUrl: t.string({
      description:
        'OPENAI_COMPATIBLE agents, required: the API base URL, checked as webhook URLs are ' +
        '(e.g. https://api.openai.com/v1, https://openrouter.ai/api/v1, https://generativelanguage.googleapis.com/v1beta/openai).',
    }),
    model: t.string({ description: 'OPENAI_COMPATIBLE agents, required: the model, e.g. gpt-4o-mini; at most 200 characters.' }),
    apiKey: t.string({
      description: 'OPENAI_COMPATIBLE agents: sent as `Authorization: Bearer <apiKey>`; printable ASCII, no spaces. Write-only.',
    }),
    systemPrompt: t.string({ description: 'Instructions for the agent, at most 20000 characters.' }),
    config: t.field({ type: 'JSON', description: 'A JSON object of settings for the webhook, at most 64 KB; defaults to {}.' }),
    isActive: t.boolean({ description: 'Defaults to true.' }),
  }),
});

const UpdateAgentInput = builder.inputType('UpdateAgentInput', {
  description: 'Changes to an agent; omitted fields stay as they are.',
  fields: (t) => ({
    name: t.string({ description: 'New name, as at creation.' }),
    description: t.string({ description: 'New description; null to clear it.' }),
    kind: t.field({
      type: AgentKindEnum,
      description: "A new kind: give that kind's required settings too; the old kind's settings are dropped.",
    }),
    webhookUrl: t.string({ description: 'WEBHOOK agents: new webhook URL, checked as at creation.' }),
    webhookToken: t.string({ description: 'WEBHOOK agents: new token, as at creation; null to stop sending one.' }),
    baseUrl: t.string({ description: 'OPENAI_COMPATIBLE agents: new base URL, checked as at creation.' }),
    model: t.string({ description: 'OPENAI_COMPATIBLE agents: new model.' }),
    apiKey: t.string({ description: 'OPENAI_COMPATIBLE agents: new API key, as at creation; null to stop sending one.' }),
    systemPrompt: t.string({ description: 'New instructions; null to clear them.' }),
    config: t.field({ type: 'JSON', description: 'New settings, replacing the old ones: a JSON object, at most 64 KB.' }),
    isActive: t.boolean({ description: 'False hides the agent from `agents` (unless asked for); true shows it again.' }),
  }),
});

builder.queryFields((t) => ({
  agents: t.withAuth({ scope: 'agents:read' }).prismaField({
    type: ['Agent'],
    description: "The team's agents, by name.",
    args: { includeInactive: t.arg.boolean({ defaultValue: false, description: 'Also list inactive agents.' }) },
    resolve: (query, _root, { includeInactive }, { services, viewer }) =>
      services.agents.list(viewer.tenantId, includeInactive === true, query),
  }),
  agent: t.withAuth({ scope: 'agents:read' }).prismaField({
    type: 'Agent',
    nullable: true,
    description: 'One agent, active or not; NOT_FOUND when the team has none with this id.',
    args: { id: t.arg.id({ required: true, description: 'The agent.' }) },
    resolve: (query, _root, { id }, { services, viewer }) => services.agents.get(viewer.tenantId, id, query),
  }),
}));

builder.mutationFields((t) => {
  const agentId = () => t.arg.id({ required: true, description: 'The agent.' });
  return {
    createAgent: t.withAuth(adminWrite).field({
      type: AgentRef,
      description: 'Creates an agent and sends `agent.created` to webhook endpoints. Admins only.',
      args: { input: t.arg({ type: CreateAgentInput, required: true, description: 'The input; each field is described on `CreateAgentInput`.' }) },
      resolve: (_root, { input }, { services, viewer }) => services.agents.create(viewer, input),
    }),
    updateAgent: t.withAuth(adminWrite).field({
      type: AgentRef,
      description: 'Changes an agent and sends `agent.updated` to webhook endpoints. Admins only.',
      args: { id: agentId(), input: t.arg({ type: UpdateAgentInput, required: true, description: 'The input; each field is described on `UpdateAgentInput`.' }) },
      resolve: (_root, { id, input }, { services, viewer }) => services.agents.update(viewer, id, input),
    }),
    deleteAgent: t.withAuth(adminWrite).id({
      description: "Deletes an agent and answers its id; its chats keep their history but take no new messages. Admins only.",
      args: { id: agentId() },
      resolve: (_root, { id }, { services, viewer }) => services.agents.delete(viewer, id),
    }),
    uploadAgentAvatar: t.withAuth(adminWrite).field({
      type: AgentRef,
      description:
        `Sets the agent's picture from a file sent as a GraphQL multipart request: a PNG, JPEG, GIF or WebP image ` +
        `(judged by its content) of at most ${MAX_AVATAR_BYTES} bytes. Sends \`agent.updated\`. Admins only.`,
      args: { id: agentId(), file: t.arg({ type: 'File', required: true, description: 'The image.' }) },
      resolve: (_root, { id, file }, { services, viewer }) => services.agents.setAvatar(viewer, id, file),
    }),
    removeAgentAvatar: t.withAuth(adminWrite).field({
      type: AgentRef,
      description: "Removes the agent's picture, if it has one; sends `agent.updated` when it had. Admins only.",
      args: { id: agentId() },
      resolve: (_root, { id }, { services, viewer }) => services.agents.removeAvatar(viewer, id),
    }),
  };
});
