import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ApolloClient, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { Client as UrqlClient, subscriptionExchange } from '@urql/core';
import { print } from 'graphql';
import { createClient, type Client, type Sink, type SubscribePayload } from 'graphql-ws';
import { onEnd, pipe, subscribe } from 'wonka';
import WebSocket from 'ws';
import type { OnMessageStreamSubscription } from './generated/graphql.ts';
import { assertContiguous, controlledChat, finalReply, follow, send, startWithAgent, stopWithAgent, type WithAgent } from './support/conversations.ts';
import { backends } from './support/services.ts';
import { OnMessageStream } from './support/stream-operations.ts';

type StreamEvent = OnMessageStreamSubscription['messageStream'];

/**
 * The README's recipe. graphql-ws sends this same payload object again on every reconnect, so
 * keeping its `afterSeq` at the last seq received makes the retry resume exactly there.
 */
function subscribeResuming(ws: Client, request: SubscribePayload, sink: Sink<any>) {
  const payload = { ...request };
  return ws.subscribe<any>(payload, {
    next(result) {
      const seq = result.data?.messageStream?.seq;
      if (seq) payload.variables = { ...payload.variables, afterSeq: seq };
      sink.next(result);
    },
    error: (error) => sink.error(error),
    complete: () => sink.complete(),
  });
}

/** What a subscriber received, and whether its subscription ended. */
class Received {
  readonly events: StreamEvent[] = [];
  private failure: unknown;
  private ended = false;
  private wake = () => {};

  add = (event: StreamEvent) => {
    this.events.push(event);
    this.wake();
  };
  fail = (error: unknown) => {
    this.failure = error;
    this.wake();
  };
  end = () => {
    this.ended = true;
    this.wake();
  };

  /** Waits until `count` events arrived. */
  until(count: number) {
    return this.waitFor(() => this.events.length >= count, `${count} events`);
  }

  /** Waits until the subscription ended. */
  untilEnd() {
    return this.waitFor(() => this.ended, 'the end of the subscription');
  }

  private async waitFor(done: () => boolean, what: string, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.failure) throw new Error(`the subscription failed: ${String(this.failure)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (got ${this.events.length} events)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

/** A `ws` WebSocket class that records its instances, so a test can cut the live connection. */
function recordedSockets() {
  const sockets: WebSocket[] = [];
  let opened = 0;
  class RecordedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      sockets.push(this);
      this.once('open', () => opened++);
    }
  }
  return {
    RecordedWebSocket,
    opened: () => opened,
    /** Destroys the live socket's TCP connection without a close frame, as a network loss does. */
    cutLive: () => sockets.at(-1)!.terminate(),
  };
}

/** Follows a reply with one stock client, through the recipe; answers a function that stops it. */
type StockFollower = (ws: Client, httpUrl: string, messageId: string, received: Received) => () => void;

const stockClients: Record<string, StockFollower> = {
  'the graphql-ws client': (ws, _url, messageId, received) =>
    subscribeResuming(
      ws,
      { query: print(OnMessageStream), variables: { messageId } },
      { next: ({ data }) => received.add(data.messageStream), error: received.fail, complete: received.end },
    ),

  'Apollo Client (GraphQLWsLink)': (ws, _url, messageId, received) => {
    const apollo = new ApolloClient({
      cache: new InMemoryCache(),
      link: new GraphQLWsLink({ ...ws, subscribe: (payload, sink) => subscribeResuming(ws, payload, sink) }),
    });
    const subscription = apollo.subscribe({ query: OnMessageStream, variables: { messageId } }).subscribe({
      next: ({ data, error }) => (error ? received.fail(error) : received.add(data!.messageStream)),
      error: received.fail,
      complete: received.end,
    });
    return () => {
      subscription.unsubscribe();
      apollo.stop();
    };
  },

  'urql (subscriptionExchange)': (ws, httpUrl, messageId, received) => {
    const urql = new UrqlClient({
      url: httpUrl,
      exchanges: [
        subscriptionExchange({
          forwardSubscription: (request) => ({
            subscribe: (sink) => ({ unsubscribe: subscribeResuming(ws, { ...request, query: request.query ?? '' }, sink) }),
          }),
        }),
      ],
    });
    return pipe(
      urql.subscription(OnMessageStream, { messageId }),
      onEnd(received.end),
      subscribe(({ data, error, hasNext }) => {
        if (error) received.fail(error);
        // When a subscription completes, urql repeats its last result with hasNext false.
        else if (hasNext) received.add(data!.messageStream);
      }),
    ).unsubscribe;
  },
};

const tokens = (count: number, prefix: string) => Array.from({ length: count }, (_, index) => `${prefix}${index} `);

for (const backend of backends()) {
  describe(`messageStream resumes exactly after a lost socket (${backend.name})`, { skip: backend.skip }, () => {
    let { app, standin, admin } = {} as WithAgent;
    const closers: (() => unknown)[] = [];
    before(async () => ({ app, standin, admin } = await startWithAgent(await backend.env())));
    afterEach(() => Promise.all(closers.splice(0).map((close) => close())));
    after(() => stopWithAgent({ app, standin }));

    for (const [clientName, followWith] of Object.entries(stockClients)) {
      it(`gives ${clientName} every token once when its socket dies mid-stream`, async () => {
        const { chatId, agent } = await controlledChat(app, standin, admin.token);
        const upstream = agent();
        const { assistantMessage } = await send(app, admin.token, chatId);
        await upstream.arrived;

        const { RecordedWebSocket, opened, cutLive } = recordedSockets();
        let allowReconnect = () => {};
        const reconnectAllowed = new Promise<void>((resolve) => (allowReconnect = resolve));
        const ws = createClient({
          url: app.wsUrl,
          webSocketImpl: RecordedWebSocket,
          connectionParams: { authorization: `Bearer ${admin.token}` },
          retryAttempts: 3,
          shouldRetry: () => true,
          retryWait: () => reconnectAllowed,
        });
        closers.push(() => ws.dispose());
        const received = new Received();
        closers.push(followWith(ws, `${app.origin}/graphql`, assistantMessage.id, received));
        // A second subscriber shows when the server has streamed what the first one misses.
        const witness = follow(app, admin.token, assistantMessage.id);
        closers.push(witness.close);

        const [beforeLoss, duringLoss, afterReturn] = [tokens(5, 'before'), tokens(7, 'during'), tokens(4, 'after')];
        upstream.sendMany(beforeLoss);
        await received.until(1 + beforeLoss.length);
        cutLive();
        upstream.sendMany(duringLoss);
        await witness.next(1 + beforeLoss.length + duringLoss.length);
        allowReconnect();
        await received.until(1 + beforeLoss.length + duringLoss.length);
        upstream.sendMany(afterReturn);
        upstream.end();
        await received.untilEnd();

        assert.equal(opened(), 2, 'the client did not reconnect once');
        const stored = await finalReply(app, admin.token, chatId, assistantMessage.id);
        assert.equal(stored.status, 'COMPLETED');
        assert.equal(stored.content, [...beforeLoss, ...duringLoss, ...afterReturn].join(''));
        const { events } = received;
        assertContiguous(events.map((event) => event.seq), 1, stored.lastSeq);
        const tokenEvents = events.filter((event) => event.type === 'TOKEN');
        assert.equal(tokenEvents.map((event) => event.delta).join(''), stored.content);
        const last = events.at(-1)!;
        assert.deepEqual([last.type, last.status, last.message?.content], ['DONE', 'COMPLETED', stored.content]);
      });
    }
  });
}
