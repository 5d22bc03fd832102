import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LeadIntent, LeadSource, MessageDirection, PrismaClient } from '../src/generated/prisma/client.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { AnalyticsSummaryQuery, AnalyticsTimeseriesQuery } from './support/analytics-operations.ts';
import { errorCode, type GraphQLResult } from './support/client.ts';
import { createKey, signUpTenant } from './support/fixtures.ts';
import { backends } from './support/services.ts';

// Neither this process nor the Postgres server it starts runs in UTC (+05:30): buckets must still be UTC days.
process.env.TZ = 'Asia/Kolkata';

type Fixture = {
  leads: [LeadSource, LeadIntent, string][];
  /** Started at, and seconds to the first reply (null: none yet). */
  conversations: [string, number | null][];
  messages: [MessageDirection, string][];
};

/**
 * Tenant A, counted by hand. In [2026-03-02, 2026-03-16) (Monday to Monday, two ISO weeks): 7 leads
 * (WEBSITE 2, WHATSAPP 3, INSTAGRAM 1, MANUAL 1; HOT 3, WARM 2, COLD 2), 5 conversations of which
 * 4 answered after 30, 60, 90 and 600 s, 5 messages in and 3 out. Each last row is just outside.
 */
const TENANT_A: Fixture = {
  leads: [
    ['WEBSITE', 'HOT', '2026-03-02T00:00:00.000Z'],
    ['WHATSAPP', 'WARM', '2026-03-02T23:59:59.999Z'],
    ['WHATSAPP', 'HOT', '2026-03-03T00:00:00.000Z'],
    ['INSTAGRAM', 'COLD', '2026-03-05T12:00:00.000Z'],
    ['MANUAL', 'COLD', '2026-03-08T23:59:59.999Z'],
    ['WEBSITE', 'HOT', '2026-03-09T00:00:00.000Z'],
    ['WHATSAPP', 'WARM', '2026-03-15T23:59:59.999Z'],
    ['WEBSITE', 'HOT', '2026-03-16T00:00:00.000Z'],
    ['WEBSITE', 'HOT', '2026-03-01T23:59:59.999Z'],
  ],
  conversations: [
    ['2026-03-02T10:00:00.000Z', 30],
    ['2026-03-03T10:00:00.000Z', 60],
    ['2026-03-04T10:00:00.000Z', 90],
    ['2026-03-10T10:00:00.000Z', 600],
    ['2026-03-11T10:00:00.000Z', null],
    ['2026-03-16T00:00:00.000Z', 1],
    ['2026-03-01T23:59:59.999Z', 1],
  ],
  messages: [
    ['INBOUND', '2026-03-02T00:00:00.000Z'],
    ['INBOUND', '2026-03-02T10:00:00.000Z'],
    ['OUTBOUND', '2026-03-02T10:00:30.000Z'],
    ['INBOUND', '2026-03-03T10:00:00.000Z'],
    ['OUTBOUND', '2026-03-03T10:01:00.000Z'],
    ['OUTBOUND', '2026-03-03T10:05:00.000Z'],
    ['INBOUND', '2026-03-10T10:00:00.000Z'],
    ['INBOUND', '2026-03-15T23:59:59.999Z'],
    ['INBOUND', '2026-03-16T00:00:00.000Z'],
    ['OUTBOUND', '2026-03-01T23:59:59.999Z'],
  ],
};

/** Tenant B, inside A's range: none of it may reach A's figures. */
const TENANT_B: Fixture = {
  leads: [
    ['WEBSITE', 'HOT', '2026-03-04T09:00:00.000Z'],
    ['MESSENGER', 'HOT', '2026-03-10T09:00:00.000Z'],
  ],
  conversations: [['2026-03-04T09:00:00.000Z', 5]],
  messages: [
    ['INBOUND', '2026-03-04T09:00:00.000Z'],
    ['INBOUND', '2026-03-04T09:00:01.000Z'],
    ['OUTBOUND', '2026-03-04T09:00:05.000Z'],
  ],
};

const FROM = '2026-03-02T00:00:00.000Z';
const TO = '2026-03-16T00:00:00.000Z';

/** Writes a fixture straight into the database, with the given creation times (no API sets them). */
async function insert(prisma: PrismaClient, tenantId: string, fixture: Fixture) {
  const session = await prisma.channelSession.create({ data: { tenantId, name: 'Shop', channel: 'WHATSAPP' } });
  const sessionId = session.id;
  const contact = await prisma.channelContact.create({ data: { tenantId, sessionId, externalId: '15550001' } });
  const conversations = await prisma.channelConversation.createManyAndReturn({
    data: fixture.conversations.map(([startedAt, seconds]) => ({
      tenantId,
      sessionId,
      contactId: contact.id,
      createdAt: new Date(startedAt),
      firstResponseAt: seconds === null ? null : new Date(Date.parse(startedAt) + seconds * 1000),
    })),
    select: { id: true },
  });
  await prisma.channelMessage.createMany({
    data: fixture.messages.map(([direction, at]) => ({
      tenantId,
      sessionId,
      conversationId: conversations[0]!.id,
      direction,
      text: 'hello',
      status: direction === 'INBOUND' ? 'RECEIVED' : 'SENT',
      createdAt: new Date(at),
      occurredAt: new Date(at),
    })),
  });
  await prisma.lead.createMany({ data: fixture.leads.map(([source, intent, at]) => ({ tenantId, source, intent, createdAt: new Date(at) })) });
}

const sources = (counts: Partial<Record<LeadSource, number>>) =>
  (['MANUAL', 'WEBSITE', 'WHATSAPP', 'INSTAGRAM', 'MESSENGER'] as const).map((source) => ({ source, count: counts[source] ?? 0 }));
const intents = (hot: number, warm: number, cold: number) =>
  Object.entries({ HOT: hot, WARM: warm, COLD: cold }).map(([intent, count]) => ({ intent, count }));
/** UTC day the bucket starts, leads, hotLeads, conversations, messagesIn, messagesOut */
type Row = [string, number, number, number, number, number];
const buckets = (rows: Row[]) =>
  rows.map(([day, leads, hotLeads, conversations, messagesIn, messagesOut]) =>
    ({ start: `${day}T00:00:00.000Z`, leads, hotLeads, conversations, messagesIn, messagesOut }));
const zeros = (...days: string[]): Row[] => days.map((day) => [day, 0, 0, 0, 0, 0]);

for (const backend of backends()) {
  describe(`analytics (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let tokenA: string;
    let tokenB: string;
    before(async () => {
      app = await startApp(await backend.env());
      const [a, b] = [await signUpTenant(app.client, 'Analytics A'), await signUpTenant(app.client, 'Analytics B')];
      [tokenA, tokenB] = [a.token, b.token];
      await insert(app.prisma(), a.tenant.id, TENANT_A);
      await insert(app.prisma(), b.tenant.id, TENANT_B);
    });
    after(() => app?.stop());

    type Range = { from?: string; to?: string };
    const summary = async (range: Range, token = tokenA) => (await app.client.data(AnalyticsSummaryQuery, range, { token })).analyticsSummary;
    const series = async (range: Range & { interval?: 'DAY' | 'WEEK' }, token = tokenA) =>
      (await app.client.data(AnalyticsTimeseriesQuery, range, { token })).analyticsTimeseries;
    /** Both queries, sent with these credentials. */
    const both = (credentials: { token?: string; apiKey?: string }) => [
      (range: Range) => app.client.request(AnalyticsSummaryQuery, range, credentials),
      (range: Range) => app.client.request(AnalyticsTimeseriesQuery, range, credentials),
    ];
    const assertBadInput = (result: GraphQLResult<unknown>, field: string) => {
      assert.equal(errorCode(result), 'BAD_USER_INPUT', JSON.stringify(result.errors));
      assert.equal(result.errors?.[0]?.extensions?.field, field, JSON.stringify(result.errors));
    };

    it('counts leads by source and intent, conversations, messages and the median first response in [from, to)', async () => {
      assert.deepEqual(await summary({ from: FROM, to: TO }), {
        from: FROM,
        to: TO,
        totalLeads: 7,
        leadsBySource: sources({ WEBSITE: 2, WHATSAPP: 3, INSTAGRAM: 1, MANUAL: 1 }),
        leadsByIntent: intents(3, 2, 2),
        hotLeadRate: 3 / 7,
        conversations: 5,
        messagesIn: 5,
        messagesOut: 3,
        // 30, 60, 90, 600: an even count, so halfway between 60 and 90.
        medianFirstResponseSeconds: 75,
      });
    });

    it('counts what happens at `from` and not what happens at `to`', async () => {
      const first = await summary({ from: FROM, to: '2026-03-02T00:00:00.001Z' });
      assert.deepEqual([first.totalLeads, first.messagesIn, first.conversations], [1, 1, 0]);
      const last = await summary({ from: '2026-03-15T23:59:59.999Z', to: TO });
      assert.deepEqual([last.totalLeads, last.messagesIn, last.conversations], [1, 1, 0]);
      const next = await summary({ from: TO, to: '2026-03-16T00:00:00.001Z' });
      assert.deepEqual([next.totalLeads, next.messagesIn, next.conversations, next.medianFirstResponseSeconds], [1, 1, 1, 1]);
    });

    it('takes the middle response time of an odd count, and null when no conversation was answered', async () => {
      const firstWeek = await summary({ from: FROM, to: '2026-03-09T00:00:00.000Z' });
      assert.equal(firstWeek.medianFirstResponseSeconds, 60);
      const unanswered = await summary({ from: '2026-03-11T00:00:00.000Z', to: '2026-03-12T00:00:00.000Z' });
      assert.deepEqual([unanswered.conversations, unanswered.medianFirstResponseSeconds], [1, null]);
    });

    it('answers zeros, a rate of 0 and no median for a range with nothing in it', async () => {
      const empty = await summary({ from: '2025-01-01T00:00:00.000Z', to: '2025-02-01T00:00:00.000Z' });
      assert.deepEqual(empty, {
        from: '2025-01-01T00:00:00.000Z',
        to: '2025-02-01T00:00:00.000Z',
        totalLeads: 0,
        leadsBySource: sources({}),
        leadsByIntent: intents(0, 0, 0),
        hotLeadRate: 0,
        conversations: 0,
        messagesIn: 0,
        messagesOut: 0,
        medianFirstResponseSeconds: null,
      });
    });

    it('buckets by UTC day, with a zero bucket for every day without activity', async () => {
      assert.deepEqual(
        await series({ from: FROM, to: TO }),
        buckets([
          ['2026-03-02', 2, 1, 1, 2, 1],
          ['2026-03-03', 1, 1, 1, 1, 2],
          ['2026-03-04', 0, 0, 1, 0, 0],
          ['2026-03-05', 1, 0, 0, 0, 0],
          ...zeros('2026-03-06', '2026-03-07'),
          ['2026-03-08', 1, 0, 0, 0, 0],
          ['2026-03-09', 1, 1, 0, 0, 0],
          ['2026-03-10', 0, 0, 1, 1, 0],
          ['2026-03-11', 0, 0, 1, 0, 0],
          ...zeros('2026-03-12', '2026-03-13', '2026-03-14'),
          ['2026-03-15', 1, 0, 0, 1, 0],
        ]),
      );
    });

    it('buckets by ISO week from Monday, counting only the part of a week inside the range', async () => {
      assert.deepEqual(
        await series({ from: FROM, to: TO, interval: 'WEEK' }),
        buckets([
          ['2026-03-02', 5, 2, 3, 3, 3],
          ['2026-03-09', 2, 1, 2, 2, 0],
        ]),
      );
      // From a Wednesday noon to a Tuesday: the first bucket still starts on Monday 2 March.
      assert.deepEqual(
        await series({ from: '2026-03-04T12:00:00.000Z', to: '2026-03-10T00:00:00.000Z', interval: 'WEEK' }),
        buckets([
          ['2026-03-02', 2, 0, 0, 0, 0],
          ['2026-03-09', 1, 1, 0, 0, 0],
        ]),
      );
    });

    it('reads a range given with an offset as UTC and cuts days at UTC midnight', async () => {
      const range = { from: '2026-03-02T00:00:00+01:00', to: '2026-03-03T00:00:00+01:00' };
      const figures = await summary(range);
      assert.deepEqual([figures.from, figures.to], ['2026-03-01T23:00:00.000Z', '2026-03-02T23:00:00.000Z']);
      assert.deepEqual(
        await series(range),
        buckets([
          ['2026-03-01', 1, 1, 1, 0, 1],
          ['2026-03-02', 1, 1, 1, 2, 1],
        ]),
      );
    });

    it("never counts another tenant's data", async () => {
      const figures = await summary({ from: FROM, to: TO }, tokenB);
      assert.deepEqual(
        { ...figures, leadsBySource: figures.leadsBySource.filter((row) => row.count > 0) },
        {
          from: FROM,
          to: TO,
          totalLeads: 2,
          leadsBySource: [
            { source: 'WEBSITE', count: 1 },
            { source: 'MESSENGER', count: 1 },
          ],
          leadsByIntent: intents(2, 0, 0),
          hotLeadRate: 1,
          conversations: 1,
          messagesIn: 2,
          messagesOut: 1,
          medianFirstResponseSeconds: 5,
        },
      );
      const weeks = await series({ from: FROM, to: TO, interval: 'WEEK' }, tokenB);
      assert.deepEqual(weeks, buckets([['2026-03-02', 1, 1, 1, 2, 1], ['2026-03-09', 1, 1, 0, 0, 0]]));
    });

    it('defaults to the last 30 days up to now, in day buckets', async () => {
      const before = Date.now();
      const figures = await summary({});
      const to = Date.parse(figures.to);
      assert.ok(to >= before && to <= Date.now(), figures.to);
      assert.equal(to - Date.parse(figures.from), 30 * 86_400_000);
      const days = await series({});
      assert.ok(days.length === 30 || days.length === 31, `${days.length} buckets`);
      assert.ok(days.every((day) => day.start.endsWith('T00:00:00.000Z')));
      // Only `from` given: `to` is now.
      const since = new Date(Date.now() - 3_600_000).toISOString();
      const lastHour = await summary({ from: since });
      assert.ok(lastHour.from === since && Date.parse(lastHour.to) >= before, JSON.stringify(lastHour));
    });

    it('refuses from at or after to, and ranges over two years, naming `from`', async () => {
      for (const request of both({ token: tokenA })) {
        assertBadInput(await request({ from: TO, to: TO }), 'from');
        assertBadInput(await request({ from: TO, to: FROM }), 'from');
        assertBadInput(await request({ from: '2024-03-15T23:59:59.999Z', to: TO }), 'from');
        assertBadInput(await request({ from: '2999-01-01T00:00:00.000Z' }), 'from');
      }
      const twoYears = await summary({ from: '2024-03-16T00:00:00.000Z', to: TO });
      assert.equal(twoYears.totalLeads, 8);
      assert.equal((await series({ from: '2024-03-16T00:00:00.000Z', to: TO })).length, 730);
    });

    it('needs the analytics:read scope', async () => {
      const withoutScope = await createKey(app.client, tokenA, ['leads:read']);
      for (const request of both({ apiKey: withoutScope.key })) {
        const result = await request({ from: FROM, to: TO });
        assert.equal(errorCode(result), 'FORBIDDEN', JSON.stringify(result.errors));
      }
      for (const request of both({})) assert.equal(errorCode(await request({ from: FROM, to: TO })), 'UNAUTHENTICATED');
      const withScope = await createKey(app.client, tokenA, ['analytics:read']);
      const allowed = await app.client.data(AnalyticsSummaryQuery, { from: FROM, to: TO }, { apiKey: withScope.key });
      assert.equal(allowed.analyticsSummary.totalLeads, 7);
    });
  });
}
