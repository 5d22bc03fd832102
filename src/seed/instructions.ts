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
  agent   ${seed.agent.name} -> ${seed.agent.webhookUrl} (the server's built-in demo agent)
  chat    ${seed.chat.title}  id: ${seed.chat.id}

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

The demo agent only echoes you. For a real AI, point "${DEMO.agentName}" at an n8n workflow with
updateAgent (webhookUrl, webhookToken); see README.md.
`;
}
