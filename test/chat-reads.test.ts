import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAgentStandin, type AgentStandin } from './support/agent-standin.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { ChatReadState, ChatsUnread, MarkChatRead, UpdateChat } from './support/chat-operations.ts';
import { insertHistory } from './support/chat-seed.ts';
import { assertCode } from './support/client.ts';
import { chatWithAgent, send } from './support/conversations.ts';
import { addMember, eventually, PASSWORD, signUpTenant } from './support/fixtures.ts';
import { Login } from './support/operations.ts';
import { backends } from './support/services.ts';

for (const backend of backends()) {
  describe(`read markers and unread counts (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let standin: AgentStandin;
    before(async () => {
      [app, standin] = await Promise.all([backend.env().then((env) => startApp(env)), startAgentStandin()]);
    });
    after(() => Promise.all([app?.stop(), standin?.close()]));

    const state = async (token: string, id: string) => (await app.client.data(ChatReadState, { id }, { token })).chat!;

    it('counts what came after your mark, for you alone; sending marks your own message read, and a mark never moves back', async () => {
      const admin = await signUpTenant(app.client);
      const { email } = await addMember(app.client, admin.token);
      const member = (await app.client.data(Login, { input: { email, password: PASSWORD } })).login.accessToken;
      const { chatId } = await chatWithAgent(app, admin.token, standin.url('/sse'));
      await app.client.data(UpdateChat, { id: chatId, input: { sharedWithTeam: true } }, { token: admin.token });
      const ids = await insertHistory(app, chatId, ['one', { content: 'two', role: 'ASSISTANT' }, 'three']);

      assert.deepEqual(await state(admin.token, chatId), { id: chatId, unreadCount: 3, lastReadMessageId: null });
      const marked = (await app.client.data(MarkChatRead, { chatId, messageId: ids[1] }, { token: admin.token })).markChatRead;
      assert.deepEqual(marked, { id: chatId, unreadCount: 1, lastReadMessageId: ids[1] });
      assert.equal((await state(member, chatId)).unreadCount, 3, "one member's mark is not another's");

      const back = (await app.client.data(MarkChatRead, { chatId, messageId: ids[0] }, { token: admin.token })).markChatRead;
      assert.deepEqual([back.unreadCount, back.lastReadMessageId], [1, ids[1]], 'an older message moves nothing');

      const sent = await send(app, member, chatId, 'my question');
      assert.deepEqual(await state(member, chatId), { id: chatId, unreadCount: 1, lastReadMessageId: sent.userMessage.id }, 'only the reply is unread');
      const replied = async () => (await app.prisma().message.findUniqueOrThrow({ where: { id: sent.assistantMessage.id } })).status === 'COMPLETED';
      await eventually(async () => ((await replied()) ? true : undefined), 5000, 'the reply to finish');
      const latest = (await app.client.data(MarkChatRead, { chatId }, { token: member })).markChatRead;
      assert.deepEqual([latest.unreadCount, latest.lastReadMessageId], [0, sent.assistantMessage.id]);

      const { chats } = await app.client.data(ChatsUnread, {}, { token: admin.token });
      assert.equal(chats.edges.find((edge) => edge.node.id === chatId)?.node.unreadCount, 3, 'the list counts too: three after two');
    });

    it("refuses chats you do not see and messages of another chat, marking nothing", async () => {
      const admin = await signUpTenant(app.client);
      const { email } = await addMember(app.client, admin.token);
      const member = (await app.client.data(Login, { input: { email, password: PASSWORD } })).login.accessToken;
      const stranger = await signUpTenant(app.client, 'Other team');
      const { chatId } = await chatWithAgent(app, admin.token, standin.url('/sse'));
      const other = await chatWithAgent(app, admin.token, standin.url('/sse'));
      const [message] = await insertHistory(app, chatId, ['hello']);
      const [elsewhere] = await insertHistory(app, other.chatId, ['elsewhere']);

      assertCode(await app.client.request(MarkChatRead, { chatId }, { token: stranger.token }), 'NOT_FOUND');
      assertCode(await app.client.request(MarkChatRead, { chatId }, { token: member }), 'NOT_FOUND');
      assert.equal(await app.prisma().chatRead.count({ where: { chatId } }), 0, 'no refused call left a mark');
      assertCode(await app.client.request(MarkChatRead, { chatId, messageId: elsewhere }, { token: admin.token }), 'BAD_USER_INPUT', 'messageId');
      assert.deepEqual(await state(admin.token, chatId), { id: chatId, unreadCount: 1, lastReadMessageId: null });
      assert.equal((await app.client.data(MarkChatRead, { chatId, messageId: message }, { token: admin.token })).markChatRead.unreadCount, 0);
    });
  });
}
