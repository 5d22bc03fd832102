/**
 * The agent stand-in of the token-streaming benchmark. It lives in the bench process, beside the
 * subscribers, so that a token's write and its receipt are read from one clock. Every request is
 * held open (SSE headers sent, no event) until the benchmark writes tokens into it.
 */
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** The text of token `index`, about the size of a model's token; subscribers read the index back. */
export const tokenText = (index: number) => ` ${index}`;

/** The indices of the tokens in a delta (one, unless a server merged some). */
export function tokenIndices(delta: string): number[] {
  return Array.from(delta.matchAll(/\d+/g), (match) => Number(match[0]));
}

/**
 * How the stand-in frames each token: n8n-style `{"content"}` events, or the chunks of an
 * OpenAI-compatible chat completion (as OpenAI sends them, id and model included).
 */
export type UpstreamFormat = 'content' | 'chat-completions';

const frames: Record<UpstreamFormat, (index: number) => string> = {
  content: (index) => `data: ${JSON.stringify({ content: tokenText(index) })}\n\n`,
  'chat-completions': (index) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created: 1_800_000_000,
      model: 'bench',
      choices: [{ index: 0, delta: { content: tokenText(index) }, finish_reason: null }],
    })}\n\n`,
};

/** One agent request, held open. */
export type HeldReply = {
  /** performance.now() just before each token was written, by index. */
  readonly writtenAt: Float64Array;
  /** Writes tokens 0..count-1, waiting `intervalMs` after each. */
  paced(count: number, intervalMs: number): Promise<void>;
  /** Writes tokens 0..count-1 as fast as the socket takes them. */
  burst(count: number): Promise<void>;
  /** Sends `data: [DONE]` and ends the answer; again does nothing. */
  end(): void;
};

export type Upstream = {
  url: string;
  /** The base URL an OPENAI_COMPATIBLE agent is given: any path under it is answered the same. */
  baseUrl: string;
  /** The next request to arrive (or one already waiting), or a rejection after `timeoutMs`. */
  nextRequest(timeoutMs?: number): Promise<HeldReply>;
  close(): Promise<void>;
};

export async function startUpstream(format: UpstreamFormat = 'content'): Promise<Upstream> {
  const frame = frames[format];
  const arrived: HeldReply[] = [];
  const waiting: ((reply: HeldReply) => void)[] = [];
  const server = createServer({ noDelay: true }, (req, res) => {
    req.resume();
    req.once('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }).flushHeaders();
      const reply = held(res, frame);
      const waiter = waiting.shift();
      if (waiter) waiter(reply);
      else arrived.push(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/agent`,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    nextRequest(timeoutMs = 10_000) {
      const ready = arrived.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const waiter = (reply: HeldReply) => {
          clearTimeout(timer);
          resolve(reply);
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(waiter), 1);
          reject(new Error(`no request reached the agent stand-in within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.push(waiter);
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function held(res: ServerResponse, frame: (index: number) => string): HeldReply {
  let writtenAt = new Float64Array(0);
  const write = (index: number) => {
    const chunk = frame(index);
    writtenAt[index] = performance.now();
    return res.write(chunk);
  };
  return {
    get writtenAt() {
      return writtenAt;
    },
    async paced(count, intervalMs) {
      writtenAt = new Float64Array(count);
      for (let index = 0; index < count; index++) {
        write(index);
        await delay(intervalMs);
      }
    },
    async burst(count) {
      writtenAt = new Float64Array(count);
      for (let index = 0; index < count; index++) if (!write(index)) await once(res, 'drain');
    },
    end: () => void (res.writableEnded || res.end('data: [DONE]\n\n')),
  };
}
