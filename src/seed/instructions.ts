import { DEMO, type DemoSeed } from './demo-tenant.ts';

/** What `npm run seed` prints: what exists now, then the tour from `npm start` to a streamed reply. */
export function demoInstructions(seed: DemoSeed, port: number): string {
  const { created } = seed;
  const news = [created.tenant && 'tenant and admin', created.agent && 'agent', created.chat && 'chat'].filter(Boolean);
  const password = seed.password ?? '<your password: it was changed since the first seed>';
  return `
${news.length ? `Demo seeded (created: ${news.join(', ')}).` : 'Demo already seeded: nothing changed.'}

  tenant  ${seed.tenant.name} (slug ${seed.tenant.slug})
  admin   ${seed.admin.email}  password: ${password}
  agent   ${seed.agent.name} (WEBHOOK) -> ${seed.agent.webhookUrl} (the server's built-in demo agent)
  chat    ${seed.chat.title}  id: ${seed.chat.id}
  agent   ${seed.modelAgent.name} (OPENAI_COMPATIBLE) -> ${seed.modelAgent.baseUrl}, model ${seed.modelAgent.model} (the server's built-in demo model)
  chat    ${seed.modelChat.title}  id: ${seed.modelChat.id}

Next:

1. Start the server:  npm start
2. Open http://localhost:${port}/graphql and log in:

   mutation {
     login(input: { email: "${seed.admin.email}", password: ${JSON.stringify(password)}, tenantSlug: "${seed.tenant.slug}" }) {
       accessToken
     }
   }

3. Put the token in the Headers tab as { "Authorization": "Bearer <accessToken>" } and say hello:

   mutation {
     sendMessage(input: { chatId: "${seed.chat.id}", content: "Hello, agent!" }) {
       userMessage { id content }
       assistantMessage { id status }
     }
   }

4. In a new tab (same header), watch the reply stream word by word:

   subscription {
     messageStream(messageId: "<assistantMessage.id>") {
       seq type delta status
       message { content }
     }
   }

The same with chatId "${seed.modelChat.id}" talks to "${DEMO.modelAgentName}", which streams as an
OpenAI-compatible API does; its reply's \`usage\` then shows the tokens it reported.

Both only echo you. For a real AI, point "${DEMO.agentName}" at an n8n workflow with updateAgent
(webhookUrl, webhookToken), or "${DEMO.modelAgentName}" at OpenAI, OpenRouter, Gemini or Ollama
(baseUrl, model, apiKey); see README.md.
`;
}
