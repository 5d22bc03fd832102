/**
 * Subscribers of the token-streaming benchmark, one WebSocket each: `messageStream` over the
 * graphql-ws protocol on the app, or a plain client of the bare relay. Both are raw `ws`
 * sockets that note performance.now() as a message arrives, before parsing it, so the client
 * side costs the same against either server.
 */
import WebSocket from 'ws';
import { tokenIndices } from './sse-upstream.ts';

const MESSAGE_STREAM = 'subscription Stream($messageId: ID!) { messageStream(messageId: $messageId) { seq type delta status } }';

type StreamEvent = { type: string; delta?: string | null; detail?: string };

export type Subscriber = {
  /** Resolves at the stream's first event (STATUS): from then on no token can be missed. */
  live: Promise<void>;
  /** Resolves at DONE; rejects on an error event or when the socket closes first. */
  ended: Promise<void>;
  /** performance.now() at the receipt of each token, by index; NaN if it never came. */
  receivedAt: Float64Array;
  close(): void;
};

/** Follows reply `messageId` on the app at `wsUrl`, signed in with an access token. */
export function appSubscriber(wsUrl: string, accessToken: string, messageId: string, tokens: number): Subscriber {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${accessToken}` } })));
  return follow(socket, tokens, (message) => {
    switch (message.type) {
      case 'connection_ack':
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: MESSAGE_STREAM, variables: { messageId } } }));
        return undefined;
      case 'ping':
        socket.send('{"type":"pong"}');
        return undefined;
      case 'next':
        return message.payload.errors ? { type: 'ERROR', detail: JSON.stringify(message.payload.errors) } : message.payload.data.messageStream;
      case 'error':
        return { type: 'ERROR', detail: JSON.stringify(message.payload) };
      default:
        return undefined;
    }
  });
}

/** A plain client of the relay at `wsUrl`; its messages are the stream events themselves. */
export function relaySubscriber(wsUrl: string, tokens: number): Subscriber {
  return follow(new WebSocket(wsUrl), tokens, (message) => message);
}

function follow(socket: WebSocket, tokens: number, decode: (message: any) => StreamEvent | undefined): Subscriber {
  const receivedAt = new Float64Array(tokens).fill(Number.NaN);
  let closing = false;
  let markLive!: () => void;
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  const live = Promise.race([new Promise<void>((resolve) => (markLive = resolve)), failed]);
  const ended = Promise.race([new Promise<void>((resolve) => (finish = resolve)), failed]);
  // Whoever awaits them handles a failure; a subscriber nobody waits on must not crash the bench.
  for (const promise of [failed, live, ended]) promise.catch(() => {});

  socket.on('message', (data) => {
    const at = performance.now();
    const event = decode(JSON.parse(String(data)));
    if (!event) return;
    if (event.type === 'STATUS') markLive();
    else if (event.type === 'TOKEN') {
      for (const index of tokenIndices(event.delta ?? '')) if (index < tokens) receivedAt[index] = at;
    } else if (event.type === 'DONE') finish();
    else fail(new Error(`stream event ${event.type}: ${event.detail ?? ''}`));
  });
  socket.once('error', (error) => fail(error));
  socket.once('close', (code, reason) => {
    if (!closing) fail(new Error(`socket closed (${code} ${reason.toString()})`));
  });
  return {
    live,
    ended,
    receivedAt,
    close() {
      closing = true;
      socket.terminate();
    },
  };
}

/**
 * Opens `count` subscribers, `width` at a time, each batch live before the next starts, so
 * that the servers' listen backlogs and the app's sign-in checks are not flooded.
 */
export async function openLive(count: number, open: () => Subscriber, width = 50): Promise<Subscriber[]> {
  const subscribers: Subscriber[] = [];
  try {
    while (subscribers.length < count) {
      const batch = Array.from({ length: Math.min(width, count - subscribers.length) }, open);
      subscribers.push(...batch);
      await Promise.all(batch.map((subscriber) => subscriber.live));
    }
    return subscribers;
  } catch (error) {
    closeAll(subscribers);
    throw error;
  }
}

export function closeAll(subscribers: readonly Subscriber[]): void {
  for (const subscriber of subscribers) subscriber.close();
}
