import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import pg from 'pg';
import { INBOUND_PAYLOAD_CONSUMER } from '../src/modules/channels/webhook-intake.ts';
import { CreateAgent } from './support/agent-operations.ts';
import { startAgentStandin, type AgentStandin } from './support/agent-standin.ts';
import { connectChannelSession, postWebhook, whatsappMessageId, whatsappText, type ChannelSessionFixture } from './support/channel-fixtures.ts';
import { ChannelConversation, ChannelConversations } from './support/channel-operations.ts';
import { GraphQLClient } from './support/client.ts';
import { eventually, PASSWORD, signUpTenant } from './support/fixtures.ts';
import { startGraphApiStandin, type GraphApiStandin } from './support/graph-api-standin.ts';
import { CreateLead, UpdateTenant } from './support/lead-operations.ts';
import { SignUp, VerifyEmail } from './support/operations.ts';
import { startServer, type ServerProcess } from './support/server-process.ts';
import { backends } from './support/services.ts';
import { ConnectSession, UpdateSession } from './support/session-operations.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';

/** Messages a provider delivers at once to one number, acknowledged before they are processed. */
const BURST = 100;
/** The contacts the burst comes from, each writing one message after another. */
const CONTACTS = 4;
/** What the agent answers once the server is back (its first call is cut by the kill). */
const REPLY = 'Open until 6pm.';
/** How long to wait for something that must not happen (a second send), after what must has. */
const QUIET_MS = 1_500;

/**
 * Kills the server (SIGKILL) while reactions are owed, restarts it on the same data, and checks
 * each one happened exactly once:
 * - inbound payloads acknowledged (200) and not yet processed are processed after the restart;
 * - an auto-reply whose agent call was cut by the kill is sent after it, once;
 * - a hot-lead email refused by one recipient's mail server is retried for that recipient only.
 */
/**
 * A guard against a hang, not a speed target: the embedded suite takes about 50 s alone, and up
 * to 120 s beside the suite's other processes on 2 cores, each restart starting PGlite anew.
 */
const SUITE_TIMEOUT_MS = 240_000;

for (const backend of backends()) {
  describe(`reactions across a SIGKILL (${backend.name})`, { skip: backend.skip, timeout: SUITE_TIMEOUT_MS }, () => {
    let agents: AgentStandin;
    let graph: GraphApiStandin;
    let smtp: SmtpSink;
    let server: ServerProcess | undefined;
    before(async () => {
      [agents, graph, smtp] = await Promise.all([startAgentStandin(), startGraphApiStandin(), startSmtpSink()]);
    });
    afterEach(() => server?.child.kill('SIGKILL'));
    after(() => Promise.all([agents?.close(), graph?.close(), smtp?.close()]));

    it('does every acknowledged or committed reaction exactly once after a restart', async () => {
      const env: Record<string, string> = {
        ...(await backend.env()),
        GRAPH_API_BASE_URL: graph.url,
        SMTP_URL: smtp.url,
        ALLOW_PRIVATE_URLS: '127.0.0.1',
        // A killed instance's claims come back soon, and a refused email is retried soon.
        CONSUMER_LEASE_MS: '1500',
        CONSUMER_RETRY_SCHEDULE: '1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1',
      };
      server = startServer(env);
      let client = new GraphQLClient(new URL(await server.ready).origin);
      const admin = await signUpTenant(client);
      const token = admin.token;

      // The hot-lead email: the second recipient's server refuses it until after the restart.
      const [reachable, busy] = [`sales-${randomUUID().slice(0, 6)}@example.com`, `owner-${randomUUID().slice(0, 6)}@example.com`];
      await client.data(UpdateTenant, { input: { notificationEmails: [reachable, busy] } }, { token });
      smtp.refused.add(busy);
      const { createLead } = await client.data(CreateLead, { input: { name: 'Bia', source: 'MANUAL', intent: 'HOT' } }, { token });
      await smtp.waitFor(1);
      await delay(2_500); // a few retries, each of which must leave the first recipient alone

      // The auto-reply: the agent holds the first call open until the server is killed.
      const held = agents.controlled('/sse');
      const webhookUrl = agents.url(`/sse?${new URLSearchParams({ tokens: REPLY })}`);
      const { createAgent } = await client.data(CreateAgent, { input: { name: 'Helper', webhookUrl } }, { token });
      const replying = await whatsappSession(client, token, { mode: 'AGENT', agentId: createAgent.id });
      const question = whatsappText(replying.phoneNumberId, [{ from: '5511900001111', text: 'Still open?' }]);
      assert.equal((await postWebhook(client.origin, 'whatsapp', replying.id, question, replying)).status, 200);
      await held.arrived;

      // The burst: contacts writing at once, each message acknowledged, then the kill, before they can all be processed.
      const inbound = await whatsappSession(client, token, { mode: 'OFF' });
      const lanes = Array.from({ length: CONTACTS }, (_, lane) => ({
        from: `55119${String(lane).padStart(8, '0')}`,
        ids: Array.from({ length: BURST / CONTACTS }, () => whatsappMessageId()),
      }));
      const origin = client.origin;
      await Promise.all(
        lanes.map(async ({ from, ids }) => {
          for (const [index, id] of ids.entries()) {
            const body = whatsappText(inbound.phoneNumberId, [{ id, from, text: `${from} #${index}` }]);
            assert.equal((await postWebhook(origin, 'whatsapp', inbound.id, body, inbound)).status, 200);
          }
        }),
      );
      server.child.kill('SIGKILL');
      await server.exited;
      if (env.DATABASE_URL) {
        // The kill came between acknowledgement and processing: PostgreSQL outlives the server, so look.
        const db = new pg.Client({ connectionString: env.DATABASE_URL });
        await db.connect();
        const { rows } = await db.query<{ pending: number }>(
          `SELECT count(*)::int AS pending FROM consumer_jobs WHERE consumer = '${INBOUND_PAYLOAD_CONSUMER}' AND status = 'PENDING'`,
        );
        await db.end();
        assert.ok(rows[0]!.pending > 0, 'acknowledged payloads were waiting to be processed at the kill');
      }

      smtp.refused.delete(busy);
      server = startServer(env);
      client = new GraphQLClient(new URL(await server.ready).origin);

      const stored = await eventually(
        async () => {
          const conversations = await conversationsOf(client, token, inbound.id);
          return [...conversations.values()].flat().length >= BURST ? conversations : undefined;
        },
        60_000,
        'every acknowledged message to be stored',
      );
      for (const { from, ids } of lanes) {
        const messages = stored.get(from) ?? [];
        assert.deepEqual(messages.map((message) => message.providerMessageId), ids, `${from}'s messages, each once, in the order they came`);
      }
      assert.equal([...stored.values()].flat().length, BURST);

      await eventually(() => (graph.requests.some((request) => request.path.endsWith(`/${replying.phoneNumberId}/messages`)) ? true : undefined), 30_000, 'the auto-reply');
      await eventually(() => (smtp.to(busy).length > 0 ? true : undefined), 30_000, 'the retried email');
      await delay(QUIET_MS);
      const sends = graph.requests.filter((request) => request.method === 'POST' && request.path.endsWith(`/${replying.phoneNumberId}/messages`));
      assert.equal(sends.length, 1, 'the auto-reply went out once');
      assert.deepEqual(sends[0]!.body, { messaging_product: 'whatsapp', to: '5511900001111', type: 'text', text: { body: REPLY } });
      const replies = [...(await conversationsOf(client, token, replying.id)).values()].flat().filter((message) => message.direction === 'OUTBOUND');
      assert.deepEqual(replies.map((message) => [message.text, message.status]), [[REPLY, 'SENT']]);
      assert.equal(smtp.to(reachable).length, 1, 'the recipient who got it first got it once');
      assert.equal(smtp.to(busy).length, 1, 'the refused recipient got it once, after the restart');
      assert.equal(smtp.to(busy)[0]!.subject, `HOT lead: ${createLead.name}`);
    });

    for (const rotated of [false, true]) {
      const title = rotated
        ? 'mails a verification link refused until after a SIGKILL and a JWT_SECRET rotation, once, and the link verifies'
        : 'mails a verification link its mail server refused until after a SIGKILL, once, and the link verifies';
      it(title, () => verificationAcrossKill(rotated));
    }

    /** The link's token derives from JWT_SECRET: mailed after a rotation, it must still be the one that verifies. */
    async function verificationAcrossKill(rotateSecret: boolean) {
      const env: Record<string, string> = {
        ...(await backend.env()),
        SMTP_URL: smtp.url,
        CONSUMER_LEASE_MS: '1500',
        CONSUMER_RETRY_SCHEDULE: '1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1',
        JWT_SECRET: `first-secret-${randomUUID()}`,
      };
      server = startServer(env);
      let client = new GraphQLClient(new URL(await server.ready).origin);
      const email = `new-${randomUUID().slice(0, 8)}@example.com`;
      smtp.refused.add(email);
      await client.data(SignUp, { input: { tenantName: 'Newcomer', email, password: PASSWORD } });
      await delay(2_500); // refused at every retry meanwhile
      assert.equal(smtp.to(email).length, 0);
      server.child.kill('SIGKILL');
      await server.exited;

      smtp.refused.delete(email);
      server = startServer(rotateSecret ? { ...env, JWT_SECRET: `second-secret-${randomUUID()}` } : env);
      client = new GraphQLClient(new URL(await server.ready).origin);
      const [mail] = await eventually(() => (smtp.to(email).length > 0 ? smtp.to(email) : undefined), 30_000, 'the verification email');
      await delay(QUIET_MS);
      assert.equal(smtp.to(email).length, 1, 'the link went out once');
      const token = /token=(ev_[\w-]+)/.exec(mail!.text)?.[1];
      assert.ok(token, 'the mail carries the link');
      const { verifyEmail } = await client.data(VerifyEmail, { token });
      assert.equal(verifyEmail.email, email);
      assert.ok(verifyEmail.emailVerifiedAt);
    }

    /** A CONNECTED WhatsApp session whose access token the Graph API stand-in accepts. */
    async function whatsappSession(client: GraphQLClient, token: string, autoReply: { mode: 'OFF' | 'AGENT'; agentId?: string }): Promise<ChannelSessionFixture> {
      const session = await connectChannelSession(client, token, 'WHATSAPP');
      graph.acceptedTokens.add(session.accessToken);
      await client.data(UpdateSession, { id: session.id, input: { autoReply } }, { token });
      await client.data(ConnectSession, { id: session.id }, { token });
      return session;
    }
  });
}

/** The messages of each of a session's conversations, oldest first, by the contact's provider id. */
async function conversationsOf(client: GraphQLClient, token: string, sessionId: string) {
  const { conversations } = await client.data(ChannelConversations, { sessionId, first: 50 }, { token });
  const byContact = new Map<string, { providerMessageId: string | null; direction: string; text: string; status: string }[]>();
  for (const { node } of conversations.edges) {
    const { conversation } = await client.data(ChannelConversation, { id: node.id, first: 100 }, { token });
    byContact.set(node.contact.externalId, conversation!.messages.edges.map((edge) => edge.node));
  }
  return byContact;
}
