import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Client } from 'graphql-ws';
import { DeleteAgent, UpdateAgent } from './support/agent-operations.ts';
import { UpdateChat } from './support/chat-operations.ts';
import { collect, errorCode, wsClient } from './support/client.ts';
import { chatWithAgent, controlledChat, finalReply, send, startWithAgent, stopWithAgent, type WithAgent } from './support/conversations.ts';
import { addMember, createKey, PASSWORD, signUpTenant, triggerUntilReceived } from './support/fixtures.ts';
import { Login } from './support/operations.ts';
import { backends } from './support/services.ts';
import { CancelMessage, OnChatEvents, OnMessageStream, ReplyMessage, SendMessage, SetTyping } from './support/stream-operations.ts';

for (const backend of backends()) {
  describe(`chat events, input and access (${backend.name})`, { skip: backend.skip }, () => {
    let app: WithAgent['app'];
    let standin: WithAgent['standin'];
    let admin: WithAgent['admin'];
    const sockets: Client[] = [];
    before(async () => ({ app, standin, admin } = await startWithAgent(await backend.env())));
    afterEach(async () => {
      await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
    });
    after(() => stopWithAgent({ app, standin }));
    const socketFor = (token: string) => {
      const { client } = wsClient(app.wsUrl, { authorization: `Bearer ${token}` });
      sockets.push(client);
      return client;
    };
    const messageCount = async (token: string, chatId: string) =>
      (await app.client.data(ReplyMessage, { chatId }, { token })).chat!.messages.edges.length;

    it('chatEvents carries typing, new messages and the final status of replies', async () => {
      const { chatId } = await chatWithAgent(app, admin.token, standin.url('/sse?tokens=Hi,!'));
      const events = collect(socketFor(admin.token), OnChatEvents, { chatId });
      const typing = await triggerUntilReceived(
        () => app.client.data(SetTyping, { chatId, isTyping: true }, { token: admin.token }),
        () => events.events.find((event) => event.chatEvents.type === 'TYPING'),
      );
      assert.equal(typing.chatEvents.typing?.userId, admin.user.id);
      assert.equal(typing.chatEvents.typing?.isTyping, true);
      assert.ok(Date.parse(typing.chatEvents.typing!.expiresAt) > Date.now());

      const { userMessage, assistantMessage } = await send(app, admin.token, chatId);
      const messageEvents = async () => {
        await events.next(events.events.length + 1, 5000);
        return events.events.map((event) => event.chatEvents).filter((event) => event.type !== 'TYPING');
      };
      let seen = await messageEvents();
      while (seen.length < 3) seen = await messageEvents();
      assert.deepEqual(
        seen.map((event) => [event.type, event.message?.id, event.message?.status]),
        [
          ['MESSAGE_CREATED', userMessage.id, 'COMPLETED'],
          ['MESSAGE_CREATED', assistantMessage.id, 'STREAMING'],
          ['MESSAGE_UPDATED', assistantMessage.id, 'COMPLETED'],
        ],
      );
      assert.equal(seen[2]!.message?.content, 'Hi!');
    });

    it('refuses bad input with the field and stores nothing', async () => {
      const { chatId, agentId } = await chatWithAgent(app, admin.token, standin.url('/sse'));
      for (const [content, field] of [
        ['', 'content'],
        ['   ', 'content'],
        ['x'.repeat(32_001), 'content'],
        ['nul \u0000 byte', 'content'],
      ] as const) {
        const result = await app.client.request(SendMessage, { input: { chatId, content } }, { token: admin.token });
        assert.equal(errorCode(result), 'BAD_USER_INPUT');
        assert.equal(result.errors?.[0]?.extensions?.field, field);
      }
      const notObject = await app.client.request(SendMessage, { input: { chatId, content: 'hi', metadata: [1] } }, { token: admin.token });
      assert.equal(notObject.errors?.[0]?.extensions?.field, 'metadata');
      const nul = await app.client.request(SendMessage, { input: { chatId, content: 'hi', metadata: { note: 'a\u0000b' } } }, { token: admin.token });
      assert.deepEqual([errorCode(nul), nul.errors?.[0]?.extensions?.field], ['BAD_USER_INPUT', 'metadata']);
      assert.equal(await messageCount(admin.token, chatId), 0);

      const { sendMessage } = await app.client.data(SendMessage, { input: { chatId, content: 'ok' } }, { token: admin.token });
      await finalReply(app, admin.token, chatId, sendMessage.assistantMessage.id);
      const socket = socketFor(admin.token);
      const negative = collect(socket, OnMessageStream, { messageId: sendMessage.assistantMessage.id, afterSeq: -1 });
      await assert.rejects(negative.next(1), /afterSeq/);
      const userMessage = collect(socket, OnMessageStream, { messageId: sendMessage.userMessage.id });
      await assert.rejects(userMessage.next(1), /Only assistant replies/);
      const cancelUser = await app.client.request(CancelMessage, { messageId: sendMessage.userMessage.id }, { token: admin.token });
      assert.equal(errorCode(cancelUser), 'BAD_USER_INPUT');

      await app.client.data(UpdateAgent, { id: agentId, input: { isActive: false } }, { token: admin.token });
      const inactive = await app.client.request(SendMessage, { input: { chatId, content: 'hi' } }, { token: admin.token });
      assert.equal(errorCode(inactive), 'CONFLICT');
      await app.client.data(DeleteAgent, { id: agentId }, { token: admin.token });
      const deleted = await app.client.request(SendMessage, { input: { chatId, content: 'hi' } }, { token: admin.token });
      assert.equal(errorCode(deleted), 'CONFLICT');
      assert.match(deleted.errors![0]!.message, /deleted/);
      assert.equal(await messageCount(admin.token, chatId), 2, 'a refused message was stored');
    });

    it('keeps every chat operation to the tenant and to those who see the chat', async () => {
      const { chatId, agent } = await controlledChat(app, standin, admin.token);
      const upstream = agent();
      const { userMessage, assistantMessage } = await send(app, admin.token, chatId);
      await upstream.arrived;
      const other = await signUpTenant(app.client, 'Other');
      const member = await addMember(app.client, admin.token);
      const { login } = await app.client.data(Login, { input: { email: member.email, password: PASSWORD } });

      for (const token of [other.token, login.accessToken]) {
        const sent = await app.client.request(SendMessage, { input: { chatId, content: 'intrude' } }, { token });
        assert.equal(errorCode(sent), 'NOT_FOUND');
        const cancelled = await app.client.request(CancelMessage, { messageId: assistantMessage.id }, { token });
        assert.equal(errorCode(cancelled), 'NOT_FOUND');
        const typed = await app.client.request(SetTyping, { chatId }, { token });
        assert.equal(errorCode(typed), 'NOT_FOUND');
        const socket = socketFor(token);
        await assert.rejects(collect(socket, OnMessageStream, { messageId: assistantMessage.id }).next(1), /not found/i);
        await assert.rejects(collect(socket, OnChatEvents, { chatId }).next(1), /not found/i);
      }

      // Shared with the team, a member follows and writes; another tenant still sees nothing.
      await app.client.data(UpdateChat, { id: chatId, input: { sharedWithTeam: true } }, { token: admin.token });
      const memberStream = collect(socketFor(login.accessToken), OnMessageStream, { messageId: assistantMessage.id });
      await memberStream.next(1);
      upstream.sendMany(['shared']);
      upstream.end();
      const memberEvents = await memberStream.untilComplete();
      assert.equal(memberEvents.at(-1)!.messageStream.message?.content, 'shared');
      const otherStream = collect(socketFor(other.token), OnMessageStream, { messageId: userMessage.id });
      await assert.rejects(otherStream.next(1), /not found/i);

      const readOnly = await createKey(app.client, admin.token, ['chats:read']);
      const refused = await app.client.request(SendMessage, { input: { chatId, content: 'no scope' } }, { apiKey: readOnly.key });
      assert.equal(errorCode(refused), 'FORBIDDEN');
    });
  });
}
