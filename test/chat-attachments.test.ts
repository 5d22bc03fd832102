import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import type { UploadChatAttachmentMutation } from './generated/graphql.ts';
import { startAgentStandin, type AgentStandin } from './support/agent-standin.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { MessageAttachments, SendWithAttachments, UploadChatAttachment, UpdateChat } from './support/chat-operations.ts';
import { assertCode, type GraphQLErrorShape } from './support/client.ts';
import { chatWithAgent } from './support/conversations.ts';
import { addMember, eventually, PASSWORD, signUpTenant } from './support/fixtures.ts';
import { images } from './support/images.ts';
import { Login } from './support/operations.ts';
import { backends } from './support/services.ts';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

for (const backend of backends()) {
  describe(`chat attachments (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let standin: AgentStandin;
    before(async () => {
      standin = await startAgentStandin();
      app = await startApp({ ...(await backend.env()), PUBLIC_URL: 'https://api.example.test' });
    });
    after(() => Promise.all([app?.stop(), standin?.close()]));

    /** A GraphQL multipart request, as Apollo's and urql's upload links send it. */
    const upload = async (token: string, chatId: string, bytes: Uint8Array, name: string, type: string) => {
      const form = new FormData();
      form.set('operations', JSON.stringify({ query: print(UploadChatAttachment), variables: { chatId, file: null } }));
      form.set('map', JSON.stringify({ 0: ['variables.file'] }));
      form.set('0', new File([new Uint8Array(bytes)], name, { type }));
      const response = await fetch(`${app.origin}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      return (await response.json()) as { data?: UploadChatAttachmentMutation | null; errors?: GraphQLErrorShape[] };
    };
    const uploaded = async (token: string, chatId: string, bytes: Uint8Array, name: string, type: string) => {
      const result = await upload(token, chatId, bytes, name, type);
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      return result.data!.uploadChatAttachment;
    };

    it('uploads files judged by their content, sends them with a message, shows them on it, serves them, and gives the agent their URLs', async () => {
      const admin = await signUpTenant(app.client);
      const { chatId } = await chatWithAgent(app, admin.token, standin.url('/sse'));
      const picture = await uploaded(admin.token, chatId, images['image/png'], 'screen shot.png', 'application/octet-stream');
      const pdf = await uploaded(admin.token, chatId, PDF, '../../etc/invoice.pdf', 'image/png');
      assert.deepEqual([picture.mimeType, picture.size, picture.name], ['image/png', images['image/png'].length, 'screen shot.png']);
      assert.deepEqual([pdf.mimeType, pdf.name], ['application/pdf', 'invoice.pdf'], 'the type comes from the bytes, the name loses its path');
      const disguised = await uploaded(admin.token, chatId, PDF, 'report\u202Egpj.html', 'text/html');
      assert.equal(disguised.name, 'reportgpj.html.pdf', 'no formatting characters, and the extension of what it is');

      const sent = await app.client.data(SendWithAttachments, { input: { chatId, content: 'What is in these?', attachmentIds: [picture.id, pdf.id] } }, { token: admin.token });
      assert.deepEqual(sent.sendMessage.userMessage.attachments.map((file) => file.id), [picture.id, pdf.id]);

      const request = await eventually(() => standin.requests.find((each) => JSON.stringify(each.body).includes('What is in these?')), 5000, 'the agent request');
      const { messages } = request.body as { messages: { content: string; attachments?: { url: string; name: string; mimeType: string; size: number }[] }[] };
      assert.deepEqual(messages.at(-1)!.attachments, [
        { url: `https://api.example.test${picture.url}`, name: 'screen shot.png', mimeType: 'image/png', size: images['image/png'].length },
        { url: `https://api.example.test${pdf.url}`, name: 'invoice.pdf', mimeType: 'application/pdf', size: PDF.length },
      ]);

      const served = await fetch(`${app.origin}${pdf.url}`);
      assert.equal(served.status, 200);
      assert.equal(served.headers.get('content-type'), 'application/pdf');
      assert.match(served.headers.get('content-disposition') ?? '', /^attachment; filename\*=UTF-8''invoice\.pdf$/);
      assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
      assert.match(served.headers.get('content-security-policy') ?? '', /default-src 'none'; sandbox/);
      assert.deepEqual(Buffer.from(await served.arrayBuffer()), PDF);
      const image = await fetch(`${app.origin}${picture.url}`);
      assert.match(image.headers.get('content-disposition') ?? '', /^inline; filename\*=UTF-8''screen%20shot\.png$/);
      assert.equal((await fetch(`${app.origin}${pdf.url.replace(/[0-9a-f]{64}$/, '0'.repeat(64))}`)).status, 404, 'another hash');
      const [pdfId, pdfHash] = pdf.url.split('/').slice(-2);
      assert.equal((await fetch(`${app.origin}/attachments/${disguised.id}/${pdfHash}`)).status, 200, 'same bytes, its own id');
      assert.equal((await fetch(`${app.origin}/attachments/${pdfId!.replace(/.$/, (c) => (c === '0' ? '1' : '0'))}/${pdfHash}`)).status, 404, 'another id');

      const { chat } = await app.client.data(MessageAttachments, { id: chatId }, { token: admin.token });
      const shown = chat!.messages.edges.map(({ node }) => [node.role, node.attachments.map((file) => file.name)]);
      assert.deepEqual(shown, [['USER', ['screen shot.png', 'invoice.pdf']], ['ASSISTANT', []]]);
    });

    it("refuses other types, oversized files, chats you do not see, and files that are not yours to send, storing nothing", async () => {
      const admin = await signUpTenant(app.client);
      const { email } = await addMember(app.client, admin.token);
      const member = (await app.client.data(Login, { input: { email, password: PASSWORD } })).login.accessToken;
      const stranger = await signUpTenant(app.client, 'Other team');
      const { chatId } = await chatWithAgent(app, admin.token, standin.url('/sse'));
      await app.client.data(UpdateChat, { id: chatId, input: { sharedWithTeam: true } }, { token: admin.token });
      const other = await chatWithAgent(app, admin.token, standin.url('/sse'));

      for (const [bytes, name] of [[Buffer.from('just text'), 'notes.txt'], [Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024)]), 'huge.pdf'], [Buffer.alloc(0), 'empty.png']] as const) {
        const refused = await upload(admin.token, chatId, bytes, name, 'image/png');
        assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', name);
        assert.equal(refused.errors?.[0]?.extensions?.field, 'file', name);
      }
      assert.equal((await upload(stranger.token, chatId, PDF, 'x.pdf', 'application/pdf')).errors?.[0]?.extensions?.code, 'NOT_FOUND');
      // Without a credential a multipart body gets the JSON limit, not the upload one: nobody anonymous is held 11 MB.
      const anonymous = new FormData();
      anonymous.set('operations', JSON.stringify({ query: print(UploadChatAttachment), variables: { chatId, file: null } }));
      anonymous.set('map', JSON.stringify({ 0: ['variables.file'] }));
      anonymous.set('0', new File([new Uint8Array(app.config.maxBodyBytes + 1)], 'big.pdf'));
      assert.equal((await fetch(`${app.origin}/graphql`, { method: 'POST', body: anonymous })).status, 413);
      assert.equal((await upload(member, other.chatId, PDF, 'x.pdf', 'application/pdf')).errors?.[0]?.extensions?.code, 'NOT_FOUND', "a teammate's private chat");
      assert.equal(await app.prisma().chatAttachment.count({ where: { chatId: { in: [chatId, other.chatId] } } }), 0, 'no refused upload was stored');

      const mine = await uploaded(admin.token, chatId, PDF, 'mine.pdf', 'application/pdf');
      const elsewhere = await uploaded(admin.token, other.chatId, PDF, 'elsewhere.pdf', 'application/pdf');
      const send = (token: string, attachmentIds: string[]) => app.client.request(SendWithAttachments, { input: { chatId, content: 'see attached', attachmentIds } }, { token });
      assertCode(await send(member, [mine.id]), 'BAD_USER_INPUT', 'attachmentIds');
      assertCode(await send(admin.token, [mine.id, elsewhere.id]), 'BAD_USER_INPUT', 'attachmentIds');
      const tooMany = await send(admin.token, Array.from({ length: 11 }, (_, index) => `${mine.id}-${index}`));
      assertCode(tooMany, 'BAD_USER_INPUT', 'attachmentIds');
      assert.match(tooMany.errors![0]!.message, /at most 10/);
      assert.equal(await app.prisma().message.count({ where: { chatId } }), 0, 'no refused send stored a message');
      assert.equal((await send(admin.token, [mine.id])).errors, undefined, 'the file is still yours to send');
      assertCode(await send(admin.token, [mine.id]), 'BAD_USER_INPUT', 'attachmentIds');
    });

    it("deletes a day-old upload its uploader never sent at their next upload to the chat, and nothing sent or anyone else's", async () => {
      const admin = await signUpTenant(app.client);
      const { email } = await addMember(app.client, admin.token);
      const member = (await app.client.data(Login, { input: { email, password: PASSWORD } })).login.accessToken;
      const { chatId } = await chatWithAgent(app, admin.token, standin.url('/sse'));
      await app.client.data(UpdateChat, { id: chatId, input: { sharedWithTeam: true } }, { token: admin.token });
      const [left, sent, theirs] = [
        await uploaded(admin.token, chatId, PDF, 'left.pdf', 'application/pdf'),
        await uploaded(admin.token, chatId, PDF, 'sent.pdf', 'application/pdf'),
        await uploaded(member, chatId, PDF, 'theirs.pdf', 'application/pdf'),
      ];
      await app.client.data(SendWithAttachments, { input: { chatId, content: 'here', attachmentIds: [sent.id] } }, { token: admin.token });
      const dayAgo = new Date(Date.now() - 25 * 60 * 60_000);
      await app.prisma().chatAttachment.updateMany({ where: { id: { in: [left.id, sent.id, theirs.id] } }, data: { createdAt: dayAgo } });
      const fresh = await uploaded(admin.token, chatId, PDF, 'fresh.pdf', 'application/pdf');

      const kept = await app.prisma().chatAttachment.findMany({ where: { chatId }, select: { id: true }, orderBy: { id: 'asc' } });
      assert.deepEqual(kept.map((file) => file.id), [sent.id, theirs.id, fresh.id]);
      assert.equal((await fetch(`${app.origin}/attachments/${left.id}/${left.url.split('/').pop()}`)).status, 404, 'no longer served');
    });
  });
}
