import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAgentStandin, type AgentStandin } from './support/agent-standin.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { assertContiguous, controlledChat, finalReply, follow, send } from './support/conversations.ts';
import { signUpTenant } from './support/fixtures.ts';
import { backends } from './support/services.ts';
import { CancelMessage } from './support/stream-operations.ts';

const postgresAndRedis = backends().find((backend) => backend.name === 'postgres+redis')!;
const tokens = (count: number, prefix: string) => Array.from({ length: count }, (_, index) => `${prefix}${index} `);

describe('replies across instances on one Postgres and Redis', { skip: postgresAndRedis.skip }, () => {
  let a: RunningApp;
  let b: RunningApp;
  let standin: AgentStandin;
  let admin: Awaited<ReturnType<typeof signUpTenant>>;
  let env: Record<string, string>;
  before(async () => {
    env = await postgresAndRedis.env();
    [a, b, standin] = await Promise.all([startApp(env), startApp(env), startAgentStandin()]);
    admin = await signUpTenant(a.client);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await standin?.close();
  });

  it('replays and follows on instance B a reply generated on instance A, with no gap and no duplicate', async () => {
    const { chatId, agent } = await controlledChat(a, standin, admin.token);
    const upstream = agent();
    const { assistantMessage } = await send(a, admin.token, chatId);
    await upstream.arrived;
    const onA = follow(a, admin.token, assistantMessage.id);
    await onA.next(1);
    upstream.sendMany(tokens(50, 'a'));
    await onA.next(51);

    const onB = follow(b, admin.token, assistantMessage.id, 20);
    try {
      await onB.next(31);
      upstream.sendMany(tokens(25, 'b'));
      upstream.end();
      await onB.untilComplete();
      assertContiguous(onB.seqs(), 21, 77);
      const done = onB.events.at(-1)!.messageStream;
      assert.equal(done.message?.content, [...tokens(50, 'a'), ...tokens(25, 'b')].join(''));
    } finally {
      await Promise.all([onA.close(), onB.close()]);
    }
  });

  it('cancels on instance B a reply running on instance A', async () => {
    const { chatId, agent } = await controlledChat(a, standin, admin.token);
    const upstream = agent();
    const { assistantMessage } = await send(a, admin.token, chatId);
    await upstream.arrived;
    upstream.sendMany(['partial ']);
    const onA = follow(a, admin.token, assistantMessage.id);
    try {
      await onA.next(2);
      const { cancelMessage } = await b.client.data(CancelMessage, { messageId: assistantMessage.id }, { token: admin.token });
      assert.deepEqual([cancelMessage.status, cancelMessage.content], ['CANCELLED', 'partial ']);
      assert.equal((await upstream.closed).clientAborted, true, 'instance A did not abort the agent call');
      const last = (await onA.untilComplete()).at(-1)!.messageStream;
      assert.deepEqual([last.type, last.status], ['DONE', 'CANCELLED']);
    } finally {
      await onA.close();
    }
  });

  it('ends a reply nobody runs any more: CANCELLED on cancel, FAILED when an instance starts after a crash', async () => {
    const { chatId } = await controlledChat(a, standin, admin.token);
    const orphan = (createdAt: Date) =>
      a.prisma().message.create({ data: { tenantId: admin.tenant.id, chatId, role: 'ASSISTANT', status: 'STREAMING', createdAt } });
    const abandoned = await orphan(new Date());
    const { cancelMessage } = await b.client.data(CancelMessage, { messageId: abandoned.id }, { token: admin.token });
    assert.equal(cancelMessage.status, 'CANCELLED');

    const crashed = await orphan(new Date(Date.now() - 24 * 3_600_000));
    const c = await startApp(env);
    try {
      const stored = await finalReply(b, admin.token, chatId, crashed.id);
      assert.equal(stored.status, 'FAILED');
      assert.match(stored.error ?? '', /interrupted/);
    } finally {
      await c.stop();
    }
  });

  it('ends the replies of an instance that stops as FAILED, heard on the other instance', async () => {
    const { chatId, agent } = await controlledChat(a, standin, admin.token);
    const upstream = agent();
    const { assistantMessage } = await send(a, admin.token, chatId);
    await upstream.arrived;
    upstream.sendMany(['before ', 'shutdown ']);
    const onB = follow(b, admin.token, assistantMessage.id);
    try {
      await onB.next(3);
      await a.stop();
      const last = (await onB.untilComplete()).at(-1)!.messageStream;
      assert.equal(last.type, 'ERROR');
      assert.match(last.error ?? '', /server stopped/);
      const stored = await finalReply(b, admin.token, chatId, assistantMessage.id);
      assert.deepEqual([stored.status, stored.content], ['FAILED', 'before shutdown ']);
    } finally {
      await onB.close();
    }
  });
});
