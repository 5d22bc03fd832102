import assert from 'node:assert/strict';
import { print } from 'graphql';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { SLOW_READER_CLOSE_CODE } from '../src/http/slow-readers.ts';
import { startAgentStandin, type AgentStandin } from './support/agent-standin.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { controlledChat, follow, send } from './support/conversations.ts';
import { signUpTenant } from './support/fixtures.ts';
import { OnMessageStream } from './support/stream-operations.ts';
import { backends } from './support/services.ts';

/**
 * Enough to fill the kernel's socket buffers several times over: 100 subscriptions (the most a
 * connection may hold) × 400 tokens × 400 bytes, a reply within the 200,000-character cap.
 */
const SUBSCRIPTIONS = 100;
const TOKENS = 400;
const token = (index: number) => `${String(index).padStart(6, '0')}${'x'.repeat(393)} `;

for (const backend of backends()) {
  describe(`a WebSocket client that stops reading (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let standin: AgentStandin;
    before(async () => {
      [app, standin] = await Promise.all([startApp(await backend.env()), startAgentStandin()]);
    });
    after(async () => {
      await app?.stop();
      await standin?.close();
    });

    it('is closed with the slow-reader code once its backlog passes the bound, while a reader of the same reply gets every token', async () => {
      const admin = await signUpTenant(app.client);
      const { chatId, agent } = await controlledChat(app, standin, admin.token);
      const upstream = agent();
      const { assistantMessage } = await send(app, admin.token, chatId, 'Stream a long answer');
      await upstream.arrived;
      const reader = follow(app, admin.token, assistantMessage.id);
      await reader.next(1);

      const slow = new WebSocket(app.wsUrl, 'graphql-transport-ws');
      let received = 0;
      let statuses = 0;
      const closed = new Promise<number>((resolve) => slow.once('close', (code) => resolve(code)));
      const live = new Promise<void>((resolve) => {
        slow.on('message', (data) => {
          received++;
          const message = JSON.parse(String(data)) as { type: string; payload?: { data?: { messageStream?: { type: string } } } };
          if (message.type === 'connection_ack') {
            for (let id = 1; id <= SUBSCRIPTIONS; id++) {
              const payload = { query: print(OnMessageStream), variables: { messageId: assistantMessage.id } };
              slow.send(JSON.stringify({ id: String(id), type: 'subscribe', payload }));
            }
          }
          if (message.payload?.data?.messageStream?.type === 'STATUS' && ++statuses === SUBSCRIPTIONS) resolve();
        });
      });
      slow.once('open', () => slow.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${admin.token}` } })));
      await live;
      // Stops reading: the kernel's buffers fill, then the server's.
      (slow as unknown as { _socket: { pause(): void } })._socket.pause();

      const sent = Array.from({ length: TOKENS }, (_, index) => token(index));
      upstream.sendMany(sent);
      upstream.end();
      const events = (await reader.untilComplete(60_000)).map((event) => event.messageStream);
      const tokenEvents = events.filter((event) => event.type === 'TOKEN');
      // Not assert.equal on the texts: a failure would print half a megabyte.
      assert.ok(tokenEvents.map((event) => event.delta).join('') === sent.join(''), 'the reader got every token, in order');

      (slow as unknown as { _socket: { resume(): void } })._socket.resume();
      const timedOut = new Promise<string>((resolve) => setTimeout(() => resolve('still open after 20 s'), 20_000).unref());
      assert.equal(await Promise.race([closed, timedOut]), SLOW_READER_CLOSE_CODE);
      slow.terminate();
      const everything = 1 + SUBSCRIPTIONS * (tokenEvents.length + 2);
      assert.ok(received < everything, `the slow reader was sent everything (${received} of ${everything} messages)`);
      reader.close();
    });
  });
}
