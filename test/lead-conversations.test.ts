/**
 * Leads made from channel conversations, through the real inbound path: signed WhatsApp
 * webhooks to POST /channels/whatsapp/:sessionId. The session itself is a database fixture.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { postWebhook, whatsappMessageId, whatsappText } from './support/channel-fixtures.ts';
import { eventually, signUpTenant } from './support/fixtures.ts';
import { inboundProcessed } from './support/inbound.ts';
import { LeadById, Leads, UpdateLead, UpdateTenant } from './support/lead-operations.ts';
import { backends } from './support/services.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';

const APP_SECRET = 'test-app-secret';
const QUIET_MS = 300;

for (const backend of backends()) {
  describe(`leads from conversations (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let smtp: SmtpSink;
    before(async () => {
      smtp = await startSmtpSink();
      app = await startApp({ ...(await backend.env()), SMTP_URL: smtp.url });
    });
    after(async () => {
      await app?.stop();
      await smtp?.close();
    });

    /** A tenant with a WhatsApp session, and a way to send it messages as a contact would. */
    const whatsappTenant = async () => {
      const admin = await signUpTenant(app.client);
      const phoneNumberId = `pn-${randomUUID().slice(0, 8)}`;
      const session = await app.prisma().channelSession.create({
        data: { tenantId: admin.tenant.id, name: 'WhatsApp', channel: 'WHATSAPP', phoneNumberId, appSecret: APP_SECRET, status: 'CONNECTED' },
      });
      const send = async (text: string, options: { from?: string; name?: string; id?: string } = {}) => {
        const body = whatsappText(phoneNumberId, [{ text, from: options.from ?? '5511987654321', name: options.name ?? 'Ana', id: options.id }]);
        const response = await postWebhook(app.origin, 'whatsapp', session.id, body, { appSecret: APP_SECRET });
        assert.equal(response.status, 200, await response.text());
        await inboundProcessed(app);
      };
      const leads = async () => (await app.client.data(Leads, {}, { token: admin.token })).leads.edges.map((edge) => edge.node);
      return { ...admin, send, leads };
    };

    it('makes one lead per conversation from the contact, and re-classifies it with each message', async () => {
      const { token, send, leads } = await whatsappTenant();
      const address = `sales-${randomUUID().slice(0, 8)}@example.com`;
      await app.client.data(UpdateTenant, { input: { notificationEmails: [address] } }, { token });

      await send('Hi there');
      const [lead] = await leads();
      assert.deepEqual(
        [lead!.name, lead!.phone, lead!.email, lead!.source, lead!.intent, lead!.intentSource, lead!.score],
        ['Ana', '+5511987654321', null, 'WHATSAPP', 'COLD', 'RULES', 0],
      );
      assert.ok(lead!.conversationId && lead!.contactId);

      const repeated = whatsappMessageId();
      await send('What is the price? I need it today', { id: repeated });
      await send('What is the price? I need it today', { id: repeated });
      const [hot, ...others] = await leads();
      assert.deepEqual(others, []);
      assert.equal(hot!.id, lead!.id);
      assert.deepEqual([hot!.intent, hot!.score], ['HOT', 55]);
      assert.deepEqual(hot!.signals.map((signal) => signal.signal), ['buying_words', 'urgency', 'question']);
      const [mail] = await eventually(() => (smtp.to(address).length ? smtp.to(address) : undefined));
      assert.equal(mail!.subject, 'HOT lead: Ana');
      assert.match(mail!.text, /Source: WHATSAPP/);

      await send('Also, can you send a contract?');
      const [engaged] = await leads();
      assert.deepEqual([engaged!.intent, engaged!.score], ['HOT', 65]);
      assert.equal(engaged!.signals.at(-1)?.signal, 'engaged');
      await send('ok');
      assert.equal((await leads())[0]!.updatedAt, engaged!.updatedAt, 'a message that changes nothing leaves the lead as it is');
      await delay(QUIET_MS);
      assert.equal(smtp.to(address).length, 1);

      await send('Hello', { from: '4915112345678', name: 'Ben' });
      assert.deepEqual((await leads()).map((each) => [each.name, each.phone, each.intent]), [
        ['Ben', '+4915112345678', 'COLD'],
        ['Ana', '+5511987654321', 'HOT'],
      ]);
    });

    it('keeps an intent set by hand and the details typed in, while messages still move signals and score', async () => {
      const { token, send, leads } = await whatsappTenant();
      await send('Hello');
      const [lead] = await leads();
      await app.client.data(UpdateLead, { id: lead!.id, input: { intent: 'COLD', name: 'Ana Souza', notes: 'Met at the fair' } }, { token });

      await send('I want to buy today, budget 3000 USD');
      const { lead: kept } = await app.client.data(LeadById, { id: lead!.id }, { token });
      assert.deepEqual([kept!.intent, kept!.intentSource, kept!.name, kept!.score], ['COLD', 'OVERRIDE', 'Ana Souza', 70]);
      assert.equal(kept!.hotNotifiedAt, null);

      const { updateLead } = await app.client.data(UpdateLead, { id: lead!.id, input: { resetIntent: true } }, { token });
      assert.deepEqual([updateLead.intent, updateLead.intentSource, updateLead.score], ['HOT', 'RULES', 70]);
    });

    it("keeps one tenant's conversation leads from another", async () => {
      const a = await whatsappTenant();
      const b = await whatsappTenant();
      await a.send('Price please, today');
      const [lead] = await a.leads();
      assert.deepEqual(await b.leads(), []);
      const other = await app.client.request(LeadById, { id: lead!.id }, { token: b.token });
      assert.equal(other.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    });
  });
}
