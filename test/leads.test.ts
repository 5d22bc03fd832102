import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Client } from 'graphql-ws';
import { startApp, type RunningApp } from './support/app.ts';
import { assertCode, collect, wsClient } from './support/client.ts';
import { bodyOf, createEndpoint } from './support/deliveries.ts';
import { addMember, createKey, eventually, PASSWORD, signUpTenant, triggerUntilReceived } from './support/fixtures.ts';
import type { CreateLeadInput, LeadsQueryVariables, UpdateLeadInput } from './generated/graphql.ts';
import { CreateLead, DeleteLead, LeadById, LeadClassifierRules, Leads, OnLeadChanged, TenantSettings, UpdateLead, UpdateTenant } from './support/lead-operations.ts';
import { AuditEvents, Login } from './support/operations.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { backends } from './support/services.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';

/** How long to wait for something that must not arrive, after something sent later already has. */
const QUIET_MS = 300;
const HOT_NOTES = 'Need a price quote today, budget $5,000';

for (const backend of backends()) {
  describe(`leads (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let smtp: SmtpSink;
    const sockets: Client[] = [];
    const receivers: Receiver[] = [];
    before(async () => {
      smtp = await startSmtpSink();
      app = await startApp({ ...(await backend.env()), SMTP_URL: smtp.url, MAIL_FROM: 'Leads <leads@convo.test>' });
    });
    afterEach(async () => {
      await Promise.all([...sockets.splice(0).map((socket) => socket.dispose()), ...receivers.splice(0).map((open) => open.close())]);
    });
    after(async () => {
      await app?.stop();
      await smtp?.close();
    });

    const create = (token: string, input: CreateLeadInput) => app.client.request(CreateLead, { input }, { token });
    const created = async (token: string, input: CreateLeadInput) => (await app.client.data(CreateLead, { input }, { token })).createLead;
    const update = (token: string, id: string, input: UpdateLeadInput) => app.client.request(UpdateLead, { id, input }, { token });
    const updated = async (token: string, id: string, input: UpdateLeadInput) => (await app.client.data(UpdateLead, { id, input }, { token })).updateLead;
    const list = async (token: string, variables: LeadsQueryVariables = {}) => (await app.client.data(Leads, variables, { token })).leads;
    const names = async (token: string, filter = {}) => (await list(token, { filter })).edges.map((edge) => edge.node.name);
    const notify = async (token: string) => {
      const addresses = [`sales-${randomUUID().slice(0, 8)}@example.com`, `boss-${randomUUID().slice(0, 8)}@example.com`];
      await app.client.data(UpdateTenant, { input: { notificationEmails: addresses } }, { token });
      return addresses;
    };
    const subscribe = (token: string) => {
      const { client } = wsClient(app.wsUrl, { authorization: `Bearer ${token}` });
      sockets.push(client);
      return collect(client, OnLeadChanged);
    };

    it('creates, reads, updates and deletes a lead, classifying it from its notes', async () => {
      const { token } = await signUpTenant(app.client);
      const lead = await created(token, { name: 'Ana Souza', email: ' ANA@Example.com ', phone: '+55 (11) 98765-4321', notes: 'Interested in a demo' });
      assert.deepEqual(
        [lead.name, lead.email, lead.phone, lead.source, lead.intent, lead.intentSource, lead.score, lead.conversationId, lead.hotNotifiedAt],
        ['Ana Souza', 'ana@example.com', '+5511987654321', 'MANUAL', 'WARM', 'RULES', 30, null, null],
      );
      assert.deepEqual(lead.signals, [{ signal: 'buying_words', weight: 30, evidence: ['demo'] }]);
      const { leadClassifier } = await app.client.data(LeadClassifierRules, {}, { token });
      assert.deepEqual([leadClassifier.hotThreshold, leadClassifier.warmThreshold], [50, 20]);
      assert.deepEqual(leadClassifier.rules.find((rule) => rule.signal === 'buying_words')?.weight, 30);
      assert.deepEqual((await app.client.data(LeadById, { id: lead.id }, { token })).lead, lead);

      const changed = await updated(token, lead.id, { name: 'Ana S.', notes: null, source: 'INSTAGRAM' });
      assert.deepEqual([changed.name, changed.email, changed.notes, changed.source, changed.intent, changed.score], ['Ana S.', 'ana@example.com', null, 'INSTAGRAM', 'COLD', 0]);
      assert.deepEqual(changed.signals, []);

      assert.equal((await app.client.data(DeleteLead, { id: lead.id }, { token })).deleteLead, lead.id);
      assertCode(await app.client.request(LeadById, { id: lead.id }, { token }), 'NOT_FOUND');
      assertCode(await update(token, lead.id, { name: 'Gone' }), 'NOT_FOUND');
      assertCode(await app.client.request(DeleteLead, { id: lead.id }, { token }), 'NOT_FOUND');
    });

    it('lists newest first, filters by source, intent and text, and pages with cursors', async () => {
      const { token } = await signUpTenant(app.client);
      await created(token, { name: 'Bruno', notes: 'Called about 100% cotton shirts' });
      await created(token, { name: 'Carla Souza', source: 'WHATSAPP', intent: 'HOT' });
      await created(token, { email: 'dora@souza.example', source: 'WHATSAPP' });
      await created(token, { name: 'Eva', phone: '+4915112345678', source: 'WEBSITE', notes: HOT_NOTES });
      assert.deepEqual(await names(token), ['Eva', null, 'Carla Souza', 'Bruno']);
      assert.deepEqual(await names(token, { source: 'WHATSAPP' }), [null, 'Carla Souza']);
      assert.deepEqual(await names(token, { intent: 'HOT' }), ['Eva', 'Carla Souza']);
      assert.deepEqual(await names(token, { source: 'WHATSAPP', intent: 'HOT' }), ['Carla Souza']);
      assert.deepEqual(await names(token, { search: 'SOUZA' }), [null, 'Carla Souza']);
      assert.deepEqual(await names(token, { search: '4915112' }), ['Eva']);
      assert.deepEqual(await names(token, { search: 'Cotton' }), ['Bruno']);
      assert.deepEqual(await names(token, { search: '100%' }), ['Bruno']);
      assert.deepEqual(await names(token, { search: '%' }), ['Bruno']);
      assert.deepEqual(await names(token, { search: '_' }), []);
      assert.deepEqual(await names(token, { search: '  ' }), ['Eva', null, 'Carla Souza', 'Bruno']);

      const first = await list(token, { first: 3 });
      assert.equal(first.pageInfo.hasNextPage, true);
      const rest = await list(token, { first: 3, after: first.pageInfo.endCursor });
      assert.deepEqual(rest.edges.map((edge) => edge.node.name), ['Bruno']);
      assert.equal(rest.pageInfo.hasNextPage, false);
      assertCode(await app.client.request(Leads, { filter: { search: 'x'.repeat(201) } }, { token }), 'BAD_USER_INPUT', 'filter.search');
    });

    it('refuses bad input with BAD_USER_INPUT naming the field, and stores nothing', async () => {
      const { token } = await signUpTenant(app.client);
      const cases: [CreateLeadInput, string][] = [
        [{ name: 'A', email: 'not-an-email' }, 'email'],
        [{ name: 'A', phone: 'call me' }, 'phone'],
        [{ name: 'A', phone: '+0123456789' }, 'phone'],
        [{ name: 'A', phone: '12345' }, 'phone'],
        [{ name: 'x'.repeat(201) }, 'name'],
        [{ name: ' ' }, 'name'],
        [{ name: 'A', notes: 'x'.repeat(5001) }, 'notes'],
        [{ name: 'A\u0000' }, 'name'],
        [{}, 'name'],
        [{ notes: 'Only notes' }, 'name'],
      ];
      for (const [input, field] of cases) assertCode(await create(token, input), 'BAD_USER_INPUT', field);
      assert.deepEqual(await names(token), []);

      const lead = await created(token, { name: 'Ana', notes: 'x'.repeat(5000) });
      assertCode(await update(token, lead.id, { intent: 'HOT', resetIntent: true }), 'BAD_USER_INPUT', 'resetIntent');
      assertCode(await update(token, lead.id, { name: null }), 'BAD_USER_INPUT', 'name');
      assertCode(await update(token, lead.id, { name: 'Bea', email: 'nope' }), 'BAD_USER_INPUT', 'email');
      assert.equal((await app.client.data(LeadById, { id: lead.id }, { token })).lead?.name, 'Ana');
    });

    it('keeps an intent set by hand while notes re-classify signals and score, until resetIntent', async () => {
      const { token } = await signUpTenant(app.client);
      const lead = await created(token, { name: 'Ana', intent: 'COLD' });
      assert.deepEqual([lead.intent, lead.intentSource, lead.score], ['COLD', 'OVERRIDE', 0]);

      const renoted = await updated(token, lead.id, { notes: HOT_NOTES });
      assert.deepEqual([renoted.intent, renoted.intentSource, renoted.score], ['COLD', 'OVERRIDE', 70]);
      assert.deepEqual(renoted.signals.map((signal) => signal.signal), ['buying_words', 'urgency', 'budget']);
      assert.equal(renoted.hotNotifiedAt, null);

      const handedBack = await updated(token, lead.id, { resetIntent: true });
      assert.deepEqual([handedBack.intent, handedBack.intentSource], ['HOT', 'RULES']);
      const overridden = await updated(token, lead.id, { intent: 'WARM' });
      assert.deepEqual([overridden.intent, overridden.intentSource, overridden.score], ['WARM', 'OVERRIDE', 70]);
    });

    it('emails each notification address once when a lead turns HOT, never again for that lead', async () => {
      const { token, tenant } = await signUpTenant(app.client, 'Acme & Sons');
      const addresses = await notify(token);
      const lead = await created(token, { name: 'Ana <b>Souza</b>', phone: '+5511987654321', source: 'WHATSAPP', notes: 'Asked for a demo' });
      assert.equal(lead.intent, 'WARM');
      const hot = await updated(token, lead.id, { notes: HOT_NOTES });
      assert.equal(hot.intent, 'HOT');
      assert.ok(hot.hotNotifiedAt);
      const mails = await eventually(() => (addresses.every((address) => smtp.to(address).length > 0) ? addresses.map(smtp.to) : undefined));
      for (const [index, [mail]] of mails.entries()) {
        assert.deepEqual(mail!.to, [addresses[index]]);
        assert.equal(mail!.from, 'leads@convo.test');
        assert.equal(mail!.subject, 'HOT lead: Ana <b>Souza</b>');
        assert.match(mail!.text, /Ana <b>Souza<\/b>/);
        assert.match(mail!.text, /Source: WHATSAPP/);
        assert.match(mail!.text, /buying_words \(\+30\): price, quote/);
        assert.match(mail!.text, new RegExp(`A lead of ${tenant.name} turned HOT`));
        assert.match(mail!.html, /Ana &#60;b&#62;Souza&#60;\/b&#62;/);
        assert.match(mail!.html, /Acme &#38; Sons/);
        assert.doesNotMatch(mail!.html, /<b>/);
      }

      await updated(token, lead.id, { intent: 'COLD' });
      await updated(token, lead.id, { intent: 'HOT', notes: `${HOT_NOTES} asap` });
      const second = await created(token, { name: 'Born hot', intent: 'HOT' });
      await eventually(() => (addresses.every((address) => smtp.to(address).length === 2) ? true : undefined));
      await delay(QUIET_MS);
      for (const address of addresses) assert.deepEqual(smtp.to(address).map((mail) => mail.subject), ['HOT lead: Ana <b>Souza</b>', `HOT lead: ${second.name}`]);
    });

    it('sends no email when the tenant has no notification addresses', async () => {
      // Sign-ups are mailed a verification link too; only the HOT lead notices count here.
      const hotLeadMails = () => smtp.messages.filter((mail) => mail.subject.startsWith('HOT lead'));
      const quiet = await signUpTenant(app.client);
      const before = hotLeadMails().length;
      const lead = await created(quiet.token, { name: 'Nobody told', notes: HOT_NOTES });
      assert.deepEqual([lead.intent, Boolean(lead.hotNotifiedAt)], ['HOT', true]);
      const loud = await signUpTenant(app.client);
      const [address] = await notify(loud.token);
      await created(loud.token, { name: 'Told', intent: 'HOT' });
      await eventually(() => (hotLeadMails().length >= before + 2 ? true : undefined));
      assert.equal(smtp.to(address!).length, 1);
      await delay(QUIET_MS);
      assert.deepEqual(hotLeadMails().slice(before).map((mail) => mail.subject).sort(), ['HOT lead: Told', 'HOT lead: Told']);
    });

    it('sets notification addresses for admins only: validated, deduplicated, audited', async () => {
      const { token } = await signUpTenant(app.client);
      const set = (notificationEmails: string[]) => app.client.request(UpdateTenant, { input: { notificationEmails } }, { token });
      assertCode(await set(['a@example.com', 'not an email']), 'BAD_USER_INPUT', 'notificationEmails.1');
      assertCode(await set(Array.from({ length: 11 }, (_, index) => `a${index}@example.com`)), 'BAD_USER_INPUT', 'notificationEmails');
      assertCode(await app.client.request(UpdateTenant, { input: { name: '' } }, { token }), 'BAD_USER_INPUT', 'name');
      assert.deepEqual((await app.client.data(TenantSettings, {}, { token })).tenant.notificationEmails, []);

      const many = [...Array.from({ length: 10 }, (_, index) => `a${index}@example.com`), 'A0@Example.com'];
      const { updateTenant } = await app.client.data(UpdateTenant, { input: { name: 'Renamed', notificationEmails: many } }, { token });
      assert.deepEqual([updateTenant.name, updateTenant.notificationEmails?.length, updateTenant.notificationEmails?.[0]], ['Renamed', 10, 'a0@example.com']);
      const { auditEvents } = await app.client.data(AuditEvents, { first: 5 }, { token });
      const [entry] = auditEvents.edges.map((edge) => edge.node).filter((event) => event.type === 'TENANT_UPDATED');
      assert.deepEqual(entry?.data, { fields: ['name', 'notificationEmails'] });

      const { email } = await addMember(app.client, token);
      const member = (await app.client.data(Login, { input: { email, password: PASSWORD } })).login.accessToken;
      assertCode(await app.client.request(UpdateTenant, { input: { notificationEmails: [] } }, { token: member }), 'FORBIDDEN');
      const adminKey = await createKey(app.client, token, ['leads:write']);
      assertCode(await app.client.request(UpdateTenant, { input: { notificationEmails: [] } }, { apiKey: adminKey.key }), 'FORBIDDEN');
      const seen = await app.client.request(TenantSettings, {}, { token: member });
      assert.deepEqual([seen.data?.tenant.name, seen.data?.tenant.notificationEmails], ['Renamed', null]);
      assertCode(seen, 'FORBIDDEN');
    });

    it('lets members manage leads, and keys only with the leads scopes', async () => {
      const { token } = await signUpTenant(app.client);
      const { email } = await addMember(app.client, token);
      const member = (await app.client.data(Login, { input: { email, password: PASSWORD } })).login.accessToken;
      const lead = await created(member, { name: 'From a member' });
      assert.equal((await updated(member, lead.id, { intent: 'WARM' })).intent, 'WARM');
      assert.equal((await app.client.data(DeleteLead, { id: lead.id }, { token: member })).deleteLead, lead.id);

      const reader = await createKey(app.client, token, ['leads:read']);
      assertCode(await app.client.request(CreateLead, { input: { name: 'No' } }, { apiKey: reader.key }), 'FORBIDDEN');
      assert.deepEqual((await app.client.data(Leads, {}, { apiKey: reader.key })).leads.edges, []);
      const other = await createKey(app.client, token, ['agents:read']);
      assertCode(await app.client.request(Leads, {}, { apiKey: other.key }), 'FORBIDDEN');
    });

    it('sends lead.created and lead.updated to webhooks and every change to leadChanged', async () => {
      const { token } = await signUpTenant(app.client);
      const target = await startReceiver();
      receivers.push(target);
      await createEndpoint(app.client, token, target.url(), ['lead.created', 'lead.updated']);
      const subscription = subscribe(token);
      const first = await triggerUntilReceived(
        () => created(token, { name: 'Live' }),
        () => subscription.events.find((event) => event.leadChanged.type === 'CREATED')?.leadChanged.lead ?? undefined,
      );
      const changed = await updated(token, first.id, { notes: 'Wants a demo' });
      await updated(token, first.id, { notes: 'Wants a demo' });
      await app.client.data(DeleteLead, { id: first.id }, { token });
      const mine = await eventually(() => {
        const events = subscription.events.map((event) => event.leadChanged).filter((event) => event.leadId === first.id);
        return events.some((event) => event.type === 'DELETED') ? events : undefined;
      });
      assert.deepEqual(mine.map((event) => event.type), ['CREATED', 'UPDATED', 'DELETED']);
      assert.deepEqual(mine[1]!.lead, changed);
      assert.equal(mine[2]!.lead, null);

      const bodiesOf = () => target.to('/hook').map(bodyOf).filter((body) => body.data.id === first.id);
      const bodies = await eventually(() => (bodiesOf().length >= 2 ? bodiesOf() : undefined), 10_000, 'two deliveries');
      assert.deepEqual(bodies.map((body) => body.type), ['lead.created', 'lead.updated']);
      assert.deepEqual(bodies[1]!.data, changed);
      await delay(QUIET_MS);
      assert.equal(bodiesOf().length, 2);
    });

    it("never shows, changes or announces one tenant's leads to another", async () => {
      const a = await signUpTenant(app.client, 'Alpha');
      const b = await signUpTenant(app.client, 'Beta');
      const subscriberB = subscribe(b.token);
      await triggerUntilReceived(
        () => created(b.token, { name: 'b-ready' }),
        () => subscriberB.events.find((event) => event.leadChanged.lead?.name === 'b-ready'),
      );
      const secret = await created(a.token, { name: 'Alpha secret', notes: HOT_NOTES });
      await updated(a.token, secret.id, { name: 'Alpha secret 2' });
      const last = await created(b.token, { name: 'b-last' });
      await eventually(() => subscriberB.events.find((event) => event.leadChanged.leadId === last.id));
      await delay(QUIET_MS);
      assert.ok(!subscriberB.events.some((event) => event.leadChanged.leadId === secret.id));

      assertCode(await app.client.request(LeadById, { id: secret.id }, { token: b.token }), 'NOT_FOUND');
      assertCode(await update(b.token, secret.id, { name: 'Mine now' }), 'NOT_FOUND');
      assertCode(await app.client.request(DeleteLead, { id: secret.id }, { token: b.token }), 'NOT_FOUND');
      assert.deepEqual(await names(b.token, { search: 'Alpha' }), []);
      assert.deepEqual([...new Set(await names(b.token))], ['b-last', 'b-ready']);
      assert.equal((await app.client.data(LeadById, { id: secret.id }, { token: a.token })).lead?.name, 'Alpha secret 2');
    });
  });
}
