import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateAgent } from './support/agent-operations.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { ChatById, ChatMessages, Chats, CreateChat, DeleteChat, ExportChat, SearchMessages, UpdateChat } from './support/chat-operations.ts';
import { insertHistory } from './support/chat-seed.ts';
import { assertCode } from './support/client.ts';
import { addMember, createKey, PASSWORD, signUpTenant } from './support/fixtures.ts';
import { Login } from './support/operations.ts';
import { backends } from './support/services.ts';

type ChatInput = { title?: string; metadata?: unknown; sharedWithTeam?: boolean };

for (const backend of backends()) {
  describe(`chats (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(await backend.env());
    });
    after(() => app?.stop());

    const createAgent = async (token: string, isActive = true) =>
      (await app.client.data(CreateAgent, { input: { name: 'Helper', webhookUrl: 'http://127.0.0.1:9/agent', isActive } }, { token })).createAgent.id;
    /** A tenant whose admin has an active agent, and a member signed in. */
    const team = async () => {
      const admin = await signUpTenant(app.client);
      const agentId = await createAgent(admin.token);
      const { email, user } = await addMember(app.client, admin.token);
      const { login } = await app.client.data(Login, { input: { email, password: PASSWORD, tenantSlug: admin.tenant.slug } });
      return { admin, agentId, member: { token: login.accessToken, user } };
    };
    const createChat = (token: string, agentId: string, input: ChatInput = {}) =>
      app.client.request(CreateChat, { input: { agentId, ...input } }, { token });
    const chatOf = async (token: string, agentId: string, input: ChatInput = {}) =>
      (await app.client.data(CreateChat, { input: { agentId, ...input } }, { token })).createChat;
    const chatTitles = async (token: string, includeArchived?: boolean) =>
      (await app.client.data(Chats, { includeArchived }, { token })).chats.edges.map((edge) => edge.node.title);
    const messagesPage = async (token: string, id: string, page: { first?: number; after?: string; last?: number; before?: string }) =>
      (await app.client.data(ChatMessages, { id, ...page }, { token })).chat!.messages;
    const search = async (token: string, query: string, first?: number) =>
      (await app.client.data(SearchMessages, { query, first }, { token })).searchMessages.map((message) => message.content);
    const exported = async (token: string, id: string, format: 'MARKDOWN' | 'JSON') =>
      (await app.client.data(ExportChat, { id, format }, { token })).exportChat;

    it('creates a chat with defaults, owned by the viewer, and reads it back', async () => {
      const { admin, agentId } = await team();
      const chat = await chatOf(admin.token, agentId);
      assert.deepEqual(
        { title: chat.title, metadata: chat.metadata, archived: chat.archived, shared: chat.sharedWithTeam, agentId: chat.agentId },
        { title: 'New chat', metadata: {}, archived: false, shared: false, agentId },
      );
      assert.equal(chat.owner.id, admin.user.id);
      assert.equal(chat.lastMessageAt, null);
      const { chat: read } = await app.client.data(ChatById, { id: chat.id }, { token: admin.token });
      assert.deepEqual(read, chat);

      const custom = await chatOf(admin.token, agentId, { title: '  Trip to Rome ', metadata: { tags: ['travel'] }, sharedWithTeam: true });
      assert.deepEqual([custom.title, custom.metadata, custom.sharedWithTeam], ['Trip to Rome', { tags: ['travel'] }, true]);
    });

    it('lists own and shared chats newest first, archived ones only when asked', async () => {
      const { admin, agentId, member } = await team();
      await chatOf(admin.token, agentId, { title: 'first' });
      const archived = await chatOf(admin.token, agentId, { title: 'second' });
      await chatOf(member.token, agentId, { title: 'member shared', sharedWithTeam: true });
      await chatOf(member.token, agentId, { title: 'member private' });
      await app.client.data(UpdateChat, { id: archived.id, input: { archived: true } }, { token: admin.token });

      assert.deepEqual(await chatTitles(admin.token), ['member shared', 'first']);
      assert.deepEqual(await chatTitles(admin.token, true), ['member shared', 'second', 'first']);
      assert.deepEqual(await chatTitles(member.token), ['member private', 'member shared']);
    });

    it('pages through chats with first/after, without gaps or repeats', async () => {
      const { admin, agentId } = await team();
      const ids = [];
      for (let index = 0; index < 5; index++) ids.push((await chatOf(admin.token, agentId, { title: `chat ${index}` })).id);
      const seen: string[] = [];
      let after: string | undefined;
      for (const size of [2, 2, 1]) {
        const { chats } = await app.client.data(Chats, { first: 2, after }, { token: admin.token });
        assert.equal(chats.edges.length, size);
        seen.push(...chats.edges.map((edge) => edge.node.id));
        assert.equal(chats.pageInfo.hasNextPage, size === 2 && seen.length < 5);
        after = chats.pageInfo.endCursor ?? undefined;
      }
      assert.deepEqual(seen, ids.reverse());
    });

    it('updates what the input names and leaves the rest', async () => {
      const { admin, agentId } = await team();
      const chat = await chatOf(admin.token, agentId, { title: 'Draft', metadata: { a: 1 } });
      const { updateChat } = await app.client.data(UpdateChat, { id: chat.id, input: { title: 'Final', sharedWithTeam: true } }, { token: admin.token });
      assert.deepEqual([updateChat.title, updateChat.metadata, updateChat.sharedWithTeam, updateChat.archived], ['Final', { a: 1 }, true, false]);
      const { updateChat: again } = await app.client.data(UpdateChat, { id: chat.id, input: { metadata: { b: 2 }, archived: true } }, { token: admin.token });
      assert.deepEqual([again.title, again.metadata, again.sharedWithTeam, again.archived], ['Final', { b: 2 }, true, true]);
    });

    it('deletes a chat with its messages; deleting again answers NOT_FOUND', async () => {
      const { admin, agentId } = await team();
      const chat = await chatOf(admin.token, agentId);
      await insertHistory(app, chat.id, ['zanzibar itinerary']);
      assert.deepEqual(await search(admin.token, 'zanzibar'), ['zanzibar itinerary']);
      assert.equal((await app.client.data(DeleteChat, { id: chat.id }, { token: admin.token })).deleteChat, chat.id);
      assertCode(await app.client.request(ChatById, { id: chat.id }, { token: admin.token }), 'NOT_FOUND');
      assert.deepEqual(await search(admin.token, 'zanzibar'), []);
      assertCode(await app.client.request(DeleteChat, { id: chat.id }, { token: admin.token }), 'NOT_FOUND');
    });

    it('refuses an unknown or foreign agent (NOT_FOUND) and an inactive one (agentId), storing nothing', async () => {
      const { admin } = await team();
      const other = await team();
      const inactive = await createAgent(admin.token, false);
      assertCode(await createChat(admin.token, other.agentId), 'NOT_FOUND');
      assertCode(await createChat(admin.token, 'no-such-agent'), 'NOT_FOUND');
      const refused = await createChat(admin.token, inactive);
      assertCode(refused, 'BAD_USER_INPUT', 'agentId');
      assert.match(refused.errors![0]!.message, /agent is inactive/);
      assert.deepEqual(await chatTitles(admin.token, true), []);
    });

    it('refuses bad input naming the field, storing and changing nothing', async () => {
      const { admin, agentId } = await team();
      const cases: [ChatInput, string][] = [
        [{ title: 'x'.repeat(201) }, 'title'],
        [{ title: '   ' }, 'title'],
        [{ metadata: ['not', 'an', 'object'] }, 'metadata'],
        [{ metadata: 'text' }, 'metadata'],
        [{ metadata: { blob: 'x'.repeat(17 * 1024) } }, 'metadata'],
        [{ metadata: { note: 'nul \u0000 inside' } }, 'metadata'],
      ];
      for (const [input, field] of cases) assertCode(await createChat(admin.token, agentId, input), 'BAD_USER_INPUT', field);
      assert.deepEqual(await chatTitles(admin.token, true), []);

      const chat = await chatOf(admin.token, agentId, { title: 'Kept' });
      for (const [input, field] of cases) {
        assertCode(await app.client.request(UpdateChat, { id: chat.id, input }, { token: admin.token }), 'BAD_USER_INPUT', field);
      }
      const { chat: unchanged } = await app.client.data(ChatById, { id: chat.id }, { token: admin.token });
      assert.deepEqual([unchanged?.title, unchanged?.metadata], ['Kept', {}]);
    });

    it('loads the newest messages with last and pages back with before, oldest first within a page', async () => {
      const { admin, agentId } = await team();
      const chat = await chatOf(admin.token, agentId);
      const ids = await insertHistory(app, chat.id, Array.from({ length: 45 }, (_, index) => `message ${index}`));

      const newest = await messagesPage(admin.token, chat.id, { last: 20 });
      assert.deepEqual(newest.edges.map((edge) => edge.node.id), ids.slice(25));
      assert.deepEqual([newest.pageInfo.hasPreviousPage, newest.pageInfo.hasNextPage], [true, false]);
      const previous = await messagesPage(admin.token, chat.id, { last: 20, before: newest.pageInfo.startCursor! });
      assert.deepEqual(previous.edges.map((edge) => edge.node.id), ids.slice(5, 25));
      assert.equal(previous.pageInfo.hasPreviousPage, true);
      const oldest = await messagesPage(admin.token, chat.id, { last: 20, before: previous.pageInfo.startCursor! });
      assert.deepEqual(oldest.edges.map((edge) => edge.node.content), ['message 0', 'message 1', 'message 2', 'message 3', 'message 4']);
      assert.equal(oldest.pageInfo.hasPreviousPage, false);
      assert.equal(newest.edges[0]!.node.chatId, chat.id);
    });

    it('pages forward through messages with first and after, 20 by default and at most 100', async () => {
      const { admin, agentId } = await team();
      const chat = await chatOf(admin.token, agentId);
      const ids = await insertHistory(app, chat.id, Array.from({ length: 45 }, (_, index) => `message ${index}`));
      const seen: string[] = [];
      let after: string | undefined;
      for (const size of [20, 20, 5]) {
        const page = await messagesPage(admin.token, chat.id, { after });
        assert.equal(page.edges.length, size);
        assert.equal(page.pageInfo.hasNextPage, size === 20);
        seen.push(...page.edges.map((edge) => edge.node.id));
        after = page.pageInfo.endCursor!;
      }
      assert.deepEqual(seen, ids);
      assert.equal((await messagesPage(admin.token, chat.id, { first: 500 })).edges.length, 45);
    });

    it('searches by word stem, best match first, only in chats the viewer sees', async () => {
      const { admin, agentId, member } = await team();
      const other = await team();
      const own = await chatOf(admin.token, agentId);
      const shared = await chatOf(member.token, agentId, { sharedWithTeam: true });
      const hidden = await chatOf(member.token, agentId);
      const foreign = await chatOf(other.admin.token, other.agentId, { sharedWithTeam: true });
      await insertHistory(app, own.id, ['I went for a run this morning', 'Nothing to see here', 'run, run, run: he runs every day']);
      await insertHistory(app, shared.id, ['We are running late']);
      await insertHistory(app, hidden.id, ['running shoes on my private list']);
      await insertHistory(app, foreign.id, ['running in another tenant']);

      assert.deepEqual(await search(admin.token, 'running'), [
        'run, run, run: he runs every day',
        'We are running late',
        'I went for a run this morning',
      ]);
      assert.deepEqual(await search(admin.token, 'running', 1), ['run, run, run: he runs every day']);
      assert.deepEqual(await search(admin.token, '"running late"'), ['We are running late']);
      assert.deepEqual(await search(member.token, 'private'), ['running shoes on my private list']);
      assert.deepEqual(await search(admin.token, 'private'), []);
      assert.deepEqual(await search(other.admin.token, 'running'), ['running in another tenant']);
      // Stop words only, or stray operators: no match rather than an error.
      assert.deepEqual(await search(admin.token, 'the and of'), []);
      assert.deepEqual(await search(admin.token, "run ) & !( ' : *"), await search(admin.token, 'run'));
    });

    it('refuses a blank or too long search query and a page size below 1', async () => {
      const { admin } = await team();
      for (const query of ['', '   ', 'x'.repeat(201)]) {
        assertCode(await app.client.request(SearchMessages, { query }, { token: admin.token }), 'BAD_USER_INPUT', 'query');
      }
      assertCode(await app.client.request(SearchMessages, { query: 'run', first: 0 }, { token: admin.token }), 'BAD_USER_INPUT', 'first');
    });

    it('exports a chat as Markdown and as JSON, every message oldest first', async () => {
      const { admin, agentId } = await team();
      const chat = await chatOf(admin.token, agentId, { title: 'Trip to Rome', metadata: { tag: 'travel' } });
      const [question, answer, failed] = await insertHistory(app, chat.id, [
        'Where should I stay?',
        { role: 'ASSISTANT', content: 'Try **Trastevere**.' },
        { role: 'ASSISTANT', status: 'FAILED', content: '', error: 'The agent timed out' },
      ]);

      const markdown = await exported(admin.token, chat.id, 'MARKDOWN');
      assert.deepEqual([markdown.filename, markdown.mimeType], ['trip-to-rome.md', 'text/markdown; charset=utf-8']);
      assert.match(markdown.content, /^# Trip to Rome\n/);
      const headings = [...markdown.content.matchAll(/^## (.+)$/gm)].map((match) => match[1]!.replace(/ · \S+/, ''));
      assert.deepEqual(headings, ['User', 'Assistant', 'Assistant (failed: The agent timed out)']);
      assert.match(markdown.content, /## User · \d{4}-\d\d-\d\dT[\d:.]+Z\n\nWhere should I stay\?\n/);
      assert.match(markdown.content, /Try \*\*Trastevere\*\*\./);

      const json = await exported(admin.token, chat.id, 'JSON');
      assert.deepEqual([json.filename, json.mimeType], ['trip-to-rome.json', 'application/json']);
      const document = JSON.parse(json.content);
      assert.equal(document.version, 1);
      assert.equal(document.truncated, false);
      assert.deepEqual(
        { id: document.chat.id, title: document.chat.title, metadata: document.chat.metadata, ownerId: document.chat.ownerId, agentId: document.chat.agentId },
        { id: chat.id, title: 'Trip to Rome', metadata: { tag: 'travel' }, ownerId: admin.user.id, agentId },
      );
      assert.deepEqual(
        document.messages.map(({ id, role, status, content, error }: Record<string, unknown>) => ({ id, role, status, content, error })),
        [
          { id: question, role: 'USER', status: 'COMPLETED', content: 'Where should I stay?', error: null },
          { id: answer, role: 'ASSISTANT', status: 'COMPLETED', content: 'Try **Trastevere**.', error: null },
          { id: failed, role: 'ASSISTANT', status: 'FAILED', content: '', error: 'The agent timed out' },
        ],
      );
      assert.ok(document.messages.every((message: { createdAt: string }) => !Number.isNaN(Date.parse(message.createdAt))));
    });

    it('exports long chats whole, reading them in pages', async () => {
      const { admin, agentId } = await team();
      const chat = await chatOf(admin.token, agentId, { title: 'Ünïcode & long!' });
      const ids = await insertHistory(app, chat.id, Array.from({ length: 1234 }, (_, index) => `line ${index}`));
      const json = await exported(admin.token, chat.id, 'JSON');
      assert.equal(json.filename, 'unicode-long.json');
      assert.deepEqual(JSON.parse(json.content).messages.map((message: { id: string }) => message.id), ids);
      const markdown = await exported(admin.token, chat.id, 'MARKDOWN');
      assert.equal([...markdown.content.matchAll(/^## User · /gm)].length, 1234);
    });

    it('lets a member read, search and export a shared chat but not change or delete it', async () => {
      const { admin, agentId, member } = await team();
      const chat = await chatOf(admin.token, agentId, { title: 'Team notes', sharedWithTeam: true });
      await insertHistory(app, chat.id, ['quarterly roadmap']);
      assert.equal((await app.client.data(ChatById, { id: chat.id }, { token: member.token })).chat!.title, 'Team notes');
      assert.equal((await messagesPage(member.token, chat.id, { last: 5 })).edges.length, 1);
      assert.deepEqual(await search(member.token, 'roadmap'), ['quarterly roadmap']);
      assert.equal((await exported(member.token, chat.id, 'JSON')).filename, 'team-notes.json');
      assertCode(await app.client.request(UpdateChat, { id: chat.id, input: { title: 'Mine now' } }, { token: member.token }), 'FORBIDDEN');
      assertCode(await app.client.request(DeleteChat, { id: chat.id }, { token: member.token }), 'FORBIDDEN');
      assert.equal((await app.client.data(ChatById, { id: chat.id }, { token: admin.token })).chat!.title, 'Team notes');
    });

    it("hides a member's private chat from the rest of the team and every other tenant", async () => {
      const { admin, agentId, member } = await team();
      const other = await team();
      const chat = await chatOf(member.token, agentId, { title: 'Private' });
      await insertHistory(app, chat.id, ['confidential salary numbers']);
      for (const token of [admin.token, other.admin.token, other.member.token]) {
        const id = chat.id;
        assertCode(await app.client.request(ChatById, { id }, { token }), 'NOT_FOUND');
        assertCode(await app.client.request(ChatMessages, { id, last: 5 }, { token }), 'NOT_FOUND');
        assertCode(await app.client.request(UpdateChat, { id, input: { title: 'Taken' } }, { token }), 'NOT_FOUND');
        assertCode(await app.client.request(DeleteChat, { id }, { token }), 'NOT_FOUND');
        assertCode(await app.client.request(ExportChat, { id, format: 'MARKDOWN' }, { token }), 'NOT_FOUND');
        assert.deepEqual(await search(token, 'salary'), []);
        assert.ok(!(await chatTitles(token, true)).includes('Private'));
      }
      assert.equal((await app.client.data(ChatById, { id: chat.id }, { token: member.token })).chat!.title, 'Private');
    });

    it("gives another tenant NOT_FOUND on a chat shared with its own team", async () => {
      const { admin, agentId } = await team();
      const other = await team();
      const chat = await chatOf(admin.token, agentId, { title: 'Shared here', sharedWithTeam: true });
      await insertHistory(app, chat.id, ['onboarding checklist']);
      const { token } = other.admin;
      assertCode(await app.client.request(ChatById, { id: chat.id }, { token }), 'NOT_FOUND');
      assertCode(await app.client.request(UpdateChat, { id: chat.id, input: { archived: true } }, { token }), 'NOT_FOUND');
      assertCode(await app.client.request(DeleteChat, { id: chat.id }, { token }), 'NOT_FOUND');
      assertCode(await app.client.request(ExportChat, { id: chat.id, format: 'JSON' }, { token }), 'NOT_FOUND');
      assert.deepEqual(await chatTitles(token, true), []);
      assert.deepEqual(await search(token, 'onboarding'), []);
    });

    it('lets an API key with only chats:read read chats but not create them', async () => {
      const { admin, agentId } = await team();
      await chatOf(admin.token, agentId, { title: 'Readable' });
      const { key } = await createKey(app.client, admin.token, ['chats:read']);
      assert.deepEqual((await app.client.data(Chats, {}, { apiKey: key })).chats.edges.map((edge) => edge.node.title), ['Readable']);
      const refused = await app.client.request(CreateChat, { input: { agentId } }, { apiKey: key });
      assertCode(refused, 'FORBIDDEN');
      assert.match(refused.errors![0]!.message, /chats:write/);
      assert.deepEqual(await chatTitles(admin.token), ['Readable']);
    });
  });
}
