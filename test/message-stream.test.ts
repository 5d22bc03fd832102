import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  AGENT_TOKEN,
  assertContiguous,
  chatWithAgent,
  controlledChat,
  finalReply,
  follow,
  send,
  startWithAgent,
  stopWithAgent,
  type WithAgent,
} from './support/conversations.ts';
import { withoutTimestamps } from './support/agent-standin.ts';
import { eventually, sseSubscribe } from './support/fixtures.ts';
import { DeleteChat } from './support/chat-operations.ts';
import { CancelMessage } from './support/stream-operations.ts';
import { backends } from './support/services.ts';

const tokens = (count: number, prefix = 't') => Array.from({ length: count }, (_, index) => `${prefix}${index} `);

for (const backend of backends()) {
  describe(`assistant replies stream (${backend.name})`, { skip: backend.skip }, () => {
    let { app, standin, admin } = {} as WithAgent;
    const closers: (() => unknown)[] = [];
    before(async () => ({ app, standin, admin } = await startWithAgent({ ...(await backend.env()), AGENT_IDLE_TIMEOUT_MS: '1000' })));
    afterEach(() => Promise.all(closers.splice(0).map((close) => close())));
    after(() => stopWithAgent({ app, standin }));
    const followed = (messageId: string, afterSeq?: number) => {
      const stream = follow(app, admin.token, messageId, afterSeq);
      closers.push(stream.close);
      return stream;
    };

    it('streams the tokens in order and stores their concatenation, calling the agent as n8n expects', async () => {
      const { chatId, agent } = await controlledChat(app, standin, admin.token);
      const upstream = agent();
      const { userMessage, assistantMessage } = await send(app, admin.token, chatId, 'What is 2 + 2?');
      assert.equal(userMessage.status, 'COMPLETED');
      assert.equal(assistantMessage.status, 'STREAMING');
      assert.equal(assistantMessage.content, '');

      const request = await upstream.arrived;
      assert.equal(request.headers.authorization, `Bearer ${AGENT_TOKEN}`);
      assert.deepEqual(withoutTimestamps(request.body), {
        messages: [{ role: 'user', content: 'What is 2 + 2?' }],
        system_prompt: 'Be brief.',
        config: { model: 'test' },
        chat_id: chatId,
        message_id: assistantMessage.id,
      });

      const stream = followed(assistantMessage.id);
      await stream.next(1);
      const sent = tokens(60);
      upstream.sendMany(sent);
      upstream.end();
      const events = (await stream.untilComplete()).map((event) => event.messageStream);

      assertContiguous(stream.seqs(), 1, sent.length + 2);
      assert.deepEqual(events.map((event) => event.type), ['STATUS', ...sent.map(() => 'TOKEN'), 'DONE']);
      assert.deepEqual(events.slice(1, -1).map((event) => event.delta), sent);
      const done = events.at(-1)!;
      assert.equal(done.status, 'COMPLETED');
      assert.equal(done.message?.content, sent.join(''));
      const stored = await finalReply(app, admin.token, chatId, assistantMessage.id);
      assert.equal(stored.content, sent.join(''));
      assert.equal(stored.lastSeq, done.seq);
    });

    it('accepts the answers n8n gives: SSE, newline-delimited JSON and a plain JSON body', async () => {
      for (const [path, expected] of [
        ['/sse?tokens=Hel,lo,!', 'Hello!'],
        ['/openai?tokens=Op,en', 'Open'],
        ['/ndjson?tokens=N,D,J', 'NDJ'],
        ['/ndjson?tokens=J,S,O,N&contentType=application/json', 'JSON'],
        ['/json?tokens=whole', 'whole'],
        ['/json-output?tokens=output&pretty=1', 'output'],
        ['/n8n-array?tokens=array', 'array'],
      ] as const) {
        const { chatId } = await chatWithAgent(app, admin.token, standin.url(path));
        const { assistantMessage } = await send(app, admin.token, chatId);
        const reply = await finalReply(app, admin.token, chatId, assistantMessage.id);
        assert.deepEqual({ path, status: reply.status, content: reply.content }, { path, status: 'COMPLETED', content: expected });
      }
    });

    it('sends the chat history, oldest first, with the next message', async () => {
      const { chatId } = await chatWithAgent(app, admin.token, standin.url('/json?tokens=Four'));
      const first = await send(app, admin.token, chatId, 'What is 2 + 2?');
      await finalReply(app, admin.token, chatId, first.assistantMessage.id);
      const before = standin.requests.length;
      await send(app, admin.token, chatId, 'And doubled?');
      const last = withoutTimestamps((await eventually(() => standin.requests[before], 5000, 'the second agent call')).body);
      assert.deepEqual(last.messages, [
        { role: 'user', content: 'What is 2 + 2?' },
        { role: 'assistant', content: 'Four' },
        { role: 'user', content: 'And doubled?' },
      ]);
    });

    it('gives a subscriber joining after 50 tokens with afterSeq the rest exactly once', async () => {
      const { chatId, agent } = await controlledChat(app, standin, admin.token);
      const upstream = agent();
      const { assistantMessage } = await send(app, admin.token, chatId);
      await upstream.arrived;
      const early = followed(assistantMessage.id);
      await early.next(1);
      const firstHalf = tokens(50, 'a');
      upstream.sendMany(firstHalf);
      await early.next(51);

      const late = followed(assistantMessage.id, 30);
      await late.next(21);
      const secondHalf = tokens(30, 'b');
      upstream.sendMany(secondHalf);
      upstream.end();
      await Promise.all([early.untilComplete(), late.untilComplete()]);

      const last = 1 + firstHalf.length + secondHalf.length + 1;
      assertContiguous(early.seqs(), 1, last);
      assertContiguous(late.seqs(), 31, last);
      const lateText = late.events.map((event) => event.messageStream.delta ?? '').join('');
      assert.equal(lateText, [...firstHalf.slice(29), ...secondHalf].join(''));
    });

    it('goes on generating when the subscriber goes away', async () => {
      const { chatId, agent } = await controlledChat(app, standin, admin.token);
      const upstream = agent();
      const { assistantMessage } = await send(app, admin.token, chatId);
      await upstream.arrived;
      const stream = followed(assistantMessage.id);
      upstream.sendMany(tokens(5));
      await stream.next(6);
      await stream.close();
      upstream.sendMany(tokens(5, 'late'));
      upstream.end();
      const reply = await finalReply(app, admin.token, chatId, assistantMessage.id);
      assert.equal(reply.status, 'COMPLETED');
      assert.equal(reply.content, [...tokens(5), ...tokens(5, 'late')].join(''));
    });

    it('cancelMessage aborts the agent call and ends the stream CANCELLED with what arrived', async () => {
      const { chatId, agent } = await controlledChat(app, standin, admin.token);
      const upstream = agent();
      const { assistantMessage } = await send(app, admin.token, chatId);
      await upstream.arrived;
      const stream = followed(assistantMessage.id);
      upstream.sendMany(['so ', 'far ']);
      await stream.next(3);

      const { cancelMessage } = await app.client.data(CancelMessage, { messageId: assistantMessage.id }, { token: admin.token });
      assert.equal(cancelMessage.status, 'CANCELLED');
      assert.equal(cancelMessage.content, 'so far ');
      assert.ok(cancelMessage.completedAt);
      const last = (await stream.untilComplete()).at(-1)!.messageStream;
      assert.deepEqual([last.type, last.status, last.seq], ['DONE', 'CANCELLED', cancelMessage.lastSeq]);
      assert.equal((await upstream.closed).clientAborted, true, 'the agent call was not aborted');

      const again = await app.client.data(CancelMessage, { messageId: assistantMessage.id }, { token: admin.token });
      assert.equal(again.cancelMessage.status, 'CANCELLED', 'cancelling a finished reply answers it unchanged');
    });

    it('ends the stream of a reply whose chat is deleted while it streams', async () => {
      const { chatId, agent } = await controlledChat(app, standin, admin.token);
      const upstream = agent();
      const { assistantMessage } = await send(app, admin.token, chatId);
      await upstream.arrived;
      const stream = followed(assistantMessage.id);
      upstream.sendMany(['doomed ']);
      await stream.next(2);
      await app.client.data(DeleteChat, { id: chatId }, { token: admin.token });
      upstream.end();
      const last = (await stream.untilComplete()).at(-1)!.messageStream;
      assert.deepEqual([last.type, last.status], ['ERROR', 'FAILED']);
      assert.match(last.error ?? '', /chat was deleted/);
    });

    it('ends timeouts, non-2xx answers, malformed streams and unreachable agents in ERROR and FAILED', async () => {
      const closedPort = await unusedPort();
      for (const [url, reason] of [
        [standin.url('/status/500'), /HTTP 500/],
        [standin.url('/garbage'), /malformed|not JSON/i],
        [standin.url('/no-done'), /\[DONE\]/],
        [standin.url('/hang'), /did not answer|timed? ?out/i],
        [standin.url('/hang-after-first-token'), /stopped sending|timed? ?out/i],
        [`http://127.0.0.1:${closedPort}/agent`, /reach|connect|unreachable/i],
      ] as const) {
        const { chatId } = await chatWithAgent(app, admin.token, url);
        const { assistantMessage } = await send(app, admin.token, chatId);
        const stream = followed(assistantMessage.id);
        const last = (await stream.untilComplete(10_000)).at(-1)!.messageStream;
        assert.equal(last.type, 'ERROR', `${url} ended with ${last.type}`);
        assert.match(last.error ?? '', reason, `${url}: ${last.error}`);
        const stored = await finalReply(app, admin.token, chatId, assistantMessage.id);
        assert.deepEqual([stored.status, stored.error], ['FAILED', last.error]);
        assert.ok(!stored.error?.includes(AGENT_TOKEN));
      }
    });

    it('replays a finished reply to its last event and completes, from any seq', async () => {
      const { chatId } = await chatWithAgent(app, admin.token, standin.url('/sse?tokens=a,b,c,d'));
      const { assistantMessage } = await send(app, admin.token, chatId);
      const reply = await finalReply(app, admin.token, chatId, assistantMessage.id);
      assert.equal(reply.lastSeq, 6);

      const whole = followed(assistantMessage.id);
      await whole.untilComplete();
      assertContiguous(whole.seqs(), 1, 6);
      const tail = followed(assistantMessage.id, 4);
      await tail.untilComplete();
      assertContiguous(tail.seqs(), 5, 6);
      const nothingLeft = followed(assistantMessage.id, 6);
      assert.deepEqual(await nothingLeft.untilComplete(), []);
    });

    it('streams over SSE as over WebSocket', async () => {
      const { chatId } = await chatWithAgent(app, admin.token, standin.url('/sse?tokens=over,%20SSE'));
      const { assistantMessage } = await send(app, admin.token, chatId);
      await finalReply(app, admin.token, chatId, assistantMessage.id);
      const sse = sseSubscribe(
        app.origin,
        `subscription { messageStream(messageId: "${assistantMessage.id}") { seq type delta message { content } } }`,
        { authorization: `Bearer ${admin.token}` },
      );
      closers.push(sse.close);
      await sse.done;
      const events = sse.events.map((event) => (event.data as { messageStream: { seq: number; type: string; delta: string | null } }).messageStream);
      assert.deepEqual(events.map((event) => event.type), ['STATUS', 'TOKEN', 'TOKEN', 'DONE']);
      assert.equal(events.map((event) => event.delta ?? '').join(''), 'over SSE');
    });
  });
}

/** A port nothing listens on. */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
