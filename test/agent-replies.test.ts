import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AgentCaller } from '../src/modules/agents/calling/caller.ts';
import type { AgentCallerLimits, AgentRequestBody } from '../src/modules/agents/calling/types.ts';
import { OutboundHttp } from '../src/outbound/http-client.ts';
import { startAgentStandin, type AgentStandin, type ControlledAgent } from './support/agent-standin.ts';
import { eventually } from './support/fixtures.ts';

const TOKEN = 'agent-secret-token';
const body: AgentRequestBody = {
  messages: [
    { role: 'user', content: 'Hi there', timestamp: '2026-12-07T10:00:00.000Z' },
    { role: 'assistant', content: 'Hello!', timestamp: '2026-12-07T10:00:01.000Z' },
    { role: 'user', content: 'What is 2 + 2?', timestamp: '2026-12-07T10:00:30.000Z' },
  ],
  system_prompt: 'You are terse.',
  config: { temperature: 0.2 },
  chat_id: 'chat-1',
  message_id: 'message-2',
};
const http = new OutboundHttp({ allowPrivate: ['127.0.0.1'], userAgent: 'test' });
const roomyLimits: AgentCallerLimits = { idleTimeoutMs: 5_000, maxDurationMs: 10_000, maxContentChars: 10_000 };

type CallOptions = { limits?: Partial<AgentCallerLimits>; token?: string | null; signal?: AbortSignal; client?: OutboundHttp };

/** Calls the agent at `url`, collecting the deltas as they arrive. */
function callAgent(url: string, options: CallOptions = {}) {
  const deltas: string[] = [];
  const caller = new AgentCaller(options.client ?? http, { ...roomyLimits, ...options.limits });
  const call = { url, token: options.token === undefined ? TOKEN : options.token, body, signal: options.signal ?? new AbortController().signal };
  const outcome = caller.call(call, (delta) => deltas.push(delta));
  return { deltas, outcome };
}

/** A URL on 127.0.0.1 where nothing listens. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/hook`;
}

/** Whether the caller closed the connection early; a caller that leaves it open fails here rather than hanging. */
async function closedByClient(agent: ControlledAgent): Promise<boolean> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the connection stayed open')), 2_000).unref());
  return (await Promise.race([agent.closed, timeout])).clientAborted;
}

const query = (tokens: string[], extra: Record<string, string> = {}) => `?${new URLSearchParams({ tokens: tokens.join(','), ...extra })}`;

describe('agent replies: calling an n8n-style webhook', { timeout: 30_000 }, () => {
  let standin: AgentStandin;
  before(async () => {
    standin = await startAgentStandin();
  });
  after(() => standin?.close());

  describe('streamed formats', () => {
    const tokens = ['Two', ' plus two', ' is ', 'four.'];

    for (const [name, path, extra] of [
      ['SSE with {"content"} events', '/sse', {}],
      ['SSE with OpenAI chunks', '/openai', {}],
      ['n8n NDJSON labelled application/x-ndjson', '/ndjson', {}],
      ['n8n NDJSON labelled application/jsonl', '/ndjson', { contentType: 'application/jsonl' }],
      ['n8n NDJSON labelled application/json', '/ndjson', { contentType: 'application/json; charset=utf-8' }],
      ['SSE labelled application/json', '/sse', { contentType: 'application/json' }],
    ] as const) {
      it(`reads ${name}: every token in order, content is their concatenation`, async () => {
        const { deltas, outcome } = callAgent(standin.url(path + query(tokens, { delayMs: '5', ...extra })));
        assert.deepEqual(await outcome, { kind: 'completed', content: tokens.join('') });
        assert.deepEqual(deltas, tokens);
      });
    }

    it('emits each token as soon as it arrives, before the next one is sent', async () => {
      const agent = standin.controlled('/live');
      const { deltas, outcome } = callAgent(standin.url('/live'));
      await agent.arrived;
      for (const [index, token] of ['one', ' two', ' three'].entries()) {
        agent.send(token);
        await eventually(() => (deltas.length === index + 1 ? true : undefined), 2_000, `delta ${token}`);
        assert.equal(deltas.at(-1), token);
      }
      agent.end();
      assert.deepEqual(await outcome, { kind: 'completed', content: 'one two three' });
    });

    it('reads SSE framing details: CRLF, comments, event and id lines, multi-line data, n8n items, events without text', async () => {
      const agent = standin.controlled('/sse-details');
      const { deltas, outcome } = callAgent(standin.url('/sse-details'));
      await agent.arrived;
      agent.write(': keep-alive\r\n\r\nevent: message\r\nid: 1\r\ndata: {"content":"a"}\r\n\r\n');
      agent.write('data: {"type":"begin"}\n\ndata: {"type":"item",\ndata:  "content":"b"}\n\n');
      agent.write('data: {"choices":[{"delta":{"content":"c"}}]}\n\ndata: {"content":""}\n\n');
      agent.write('data: {"choi');
      agent.write('ces":[{"delta":{"content":"d"}}]}\n');
      agent.write('\ndata: [DONE]\n\n');
      assert.deepEqual(await outcome, { kind: 'completed', content: 'abcd' });
      assert.deepEqual(deltas, ['a', 'b', 'c', 'd']);
    });

    it('completes on [DONE] without waiting for the body to end, and closes the connection', async () => {
      const agent = standin.controlled('/done-early');
      const { outcome } = callAgent(standin.url('/done-early'));
      await agent.arrived;
      agent.sendMany(['x', 'y']);
      agent.write('data: [DONE]\n\n');
      assert.deepEqual(await outcome, { kind: 'completed', content: 'xy' });
      assert.equal(await closedByClient(agent), true);
    });

    it('waits for the body to end in NDJSON, so a second node streaming after the first end is kept', async () => {
      const agent = standin.controlled('/two-nodes', { format: 'ndjson', contentType: 'application/json' });
      const { outcome } = callAgent(standin.url('/two-nodes'));
      await agent.arrived;
      agent.sendMany(['first']);
      agent.write('{"type":"end"}\n{"type":"begin"}\n');
      agent.send(' second');
      agent.end();
      assert.deepEqual(await outcome, { kind: 'completed', content: 'first second' });
    });

    it('sniffs NDJSON with CRLF line breaks labelled application/json', async () => {
      const agent = standin.controlled('/ndjson-crlf', { contentType: 'application/json' });
      const { deltas, outcome } = callAgent(standin.url('/ndjson-crlf'));
      await agent.arrived;
      agent.write('\r\n{"type":"begin"}\r\n{"type":"item","content":"one"}\r\n');
      agent.write('{"type":"item","content":" two"}\r\n{"type":"end"}\r\n');
      agent.close();
      assert.deepEqual(await outcome, { kind: 'completed', content: 'one two' });
      assert.deepEqual(deltas, ['one', ' two']);
    });

    it('decodes a UTF-8 character split between two chunks', async () => {
      const agent = standin.controlled('/utf8');
      const { deltas, outcome } = callAgent(standin.url('/utf8'));
      await agent.arrived;
      const bytes = Buffer.from('data: {"content":"é😀ü"}\n\n');
      const cut = bytes.indexOf(Buffer.from('😀')) + 2;
      agent.write(bytes.subarray(0, cut));
      await new Promise((resolve) => setTimeout(resolve, 50));
      agent.write(bytes.subarray(cut));
      agent.end();
      assert.deepEqual(await outcome, { kind: 'completed', content: 'é😀ü' });
      assert.deepEqual(deltas, ['é😀ü']);
    });
  });

  describe('whole answers', () => {
    const reply = 'The answer is four.';
    for (const [name, path, extra] of [
      ['{"content"}', '/json', {}],
      ['{"output"}', '/json-output', {}],
      ["n8n's [{\"output\"}]", '/n8n-array', {}],
      ['pretty-printed JSON', '/json-output', { pretty: '1' }],
      ['a text/plain body as the reply itself', '/text', {}],
    ] as const) {
      it(`reads ${name} as one delta`, async () => {
        const { deltas, outcome } = callAgent(standin.url(path + query([reply], extra)));
        assert.deepEqual(await outcome, { kind: 'completed', content: reply });
        assert.deepEqual(deltas, [reply]);
      });
    }

    it('reads {"text"} and a one-line JSON body without a line break', async () => {
      const agent = standin.controlled('/text-field', { contentType: 'application/json' });
      const { deltas, outcome } = callAgent(standin.url('/text-field'));
      await agent.arrived;
      agent.write('{"text": "from the text field"}');
      agent.close();
      assert.deepEqual(await outcome, { kind: 'completed', content: 'from the text field' });
      assert.deepEqual(deltas, ['from the text field']);
    });

    for (const [name, answer, reason] of [
      ['invalid JSON', '{"output": "unterminated', "The agent's answer is not valid JSON"],
      ['JSON without a reply field', '{\n  "result": "four"\n}', "The agent's answer has no content, output or text field"],
      ['an empty body', '', 'The agent answered with an empty body'],
    ] as const) {
      it(`fails on ${name} with a clear reason`, async () => {
        const path = `/bad-json-${name.replaceAll(' ', '-')}`;
        const agent = standin.controlled(path, { contentType: 'application/json' });
        const { deltas, outcome } = callAgent(standin.url(path));
        await agent.arrived;
        agent.write(answer);
        agent.close();
        assert.deepEqual(await outcome, { kind: 'failed', reason, content: '' });
        assert.deepEqual(deltas, []);
      });
    }
  });

  it('POSTs the request body as JSON with the bearer token and the accepted formats', async () => {
    const { outcome } = callAgent(standin.url('/json?tokens=ok'));
    assert.equal((await outcome).kind, 'completed');
    const request = standin.requests.findLast((seen) => seen.path === '/json')!;
    assert.equal(request.method, 'POST');
    assert.deepEqual(request.body, body);
    assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers.accept, 'text/event-stream, application/x-ndjson, application/json');

    const { outcome: withoutToken } = callAgent(standin.url('/json-output?tokens=ok'), { token: null });
    assert.equal((await withoutToken).kind, 'completed');
    assert.equal(standin.requests.findLast((seen) => seen.path === '/json-output')!.headers.authorization, undefined);
  });

  describe('failures', () => {
    it('fails on a non-2xx answer naming the status, never the token', async () => {
      const outcome = await callAgent(standin.url('/status/500')).outcome;
      assert.deepEqual(outcome, { kind: 'failed', reason: 'The agent answered HTTP 500', content: '' });
      assert.ok(!JSON.stringify(outcome).includes(TOKEN));
    });

    it('fails on a non-2xx answer without reading its body, closing the connection', async () => {
      const agent = standin.controlled('/unavailable', { status: 503 });
      const outcome = await callAgent(standin.url('/unavailable')).outcome;
      assert.deepEqual(outcome, { kind: 'failed', reason: 'The agent answered HTTP 503', content: '' });
      assert.equal(await closedByClient(agent), true);
    });

    it('fails when nothing listens at the URL', async () => {
      const outcome = await callAgent(await closedPortUrl()).outcome;
      assert.equal(outcome.kind, 'failed');
      assert.match((outcome as { reason: string }).reason, /^The agent could not be reached: connection failed \(ECONNREFUSED\)$/);
    });

    it('refuses a private address unless allowed, as an outcome and without sending anything', async () => {
      const before = standin.requests.length;
      const guarded = new OutboundHttp({ allowPrivate: [], userAgent: 'test' });
      const outcome = await callAgent(standin.url('/json'), { client: guarded }).outcome;
      assert.deepEqual(outcome, {
        kind: 'failed',
        reason: "The agent's URL is not allowed: 127.0.0.1 is a private or reserved address",
        content: '',
      });
      assert.equal(standin.requests.length, before);
    });

    it('fails when the agent does not answer within the idle timeout, and closes the connection', async () => {
      const agent = standin.controlled('/silent');
      // Headers go out at once, but no byte of the body follows.
      const started = Date.now();
      const outcome = await callAgent(standin.url('/silent'), { limits: { idleTimeoutMs: 300 } }).outcome;
      assert.deepEqual(outcome, { kind: 'failed', reason: 'The agent did not answer within 0.3 s', content: '' });
      assert.ok(Date.now() - started < 3_000);
      assert.equal(await closedByClient(agent), true);
    });

    it('fails on /hang, where not even headers come, after the idle timeout', async () => {
      const outcome = await callAgent(standin.url('/hang'), { limits: { idleTimeoutMs: 300 } }).outcome;
      assert.deepEqual(outcome, { kind: 'failed', reason: 'The agent did not answer within 0.3 s', content: '' });
    });

    it('keeps waiting as long as each token comes within the idle timeout', async () => {
      const tokens = ['a', 'b', 'c', 'd', 'e', 'f'];
      const started = Date.now();
      const outcome = await callAgent(standin.url(`/slow${query(tokens, { delayMs: '150' })}`), { limits: { idleTimeoutMs: 400 } }).outcome;
      assert.deepEqual(outcome, { kind: 'completed', content: 'abcdef' });
      assert.ok(Date.now() - started > 800, 'the whole answer took longer than the idle timeout');
    });

    it('fails when the agent stops sending between tokens, keeping what came', async () => {
      const outcome = await callAgent(standin.url('/hang-after-first-token?tokens=first,never'), { limits: { idleTimeoutMs: 300 } }).outcome;
      assert.deepEqual(outcome, { kind: 'failed', reason: 'The agent stopped sending for 0.3 s', content: 'first' });
    });

    it('fails at the maximum duration even while tokens keep coming, keeping what came', async () => {
      const { deltas, outcome } = callAgent(standin.url('/slow?tokens=a,b,c,d,e,f,g,h,i,j&delayMs=100'), {
        limits: { idleTimeoutMs: 1_000, maxDurationMs: 450 },
      });
      const result = await outcome;
      assert.equal(result.kind, 'failed');
      assert.equal((result as { reason: string }).reason, 'The agent did not finish within 0.5 s');
      assert.ok(deltas.length >= 1 && deltas.length < 10, `got ${deltas.length} tokens`);
      assert.equal(result.content, deltas.join(''));
    });

    it('is cancelled by its signal mid-stream, keeping what came, and aborts the upstream call', async () => {
      const agent = standin.controlled('/cancel');
      const controller = new AbortController();
      const { deltas, outcome } = callAgent(standin.url('/cancel'), { signal: controller.signal, limits: { idleTimeoutMs: 300 } });
      await agent.arrived;
      agent.sendMany(['partial', ' answer']);
      await eventually(() => (deltas.length === 2 ? true : undefined), 2_000, 'two deltas');
      controller.abort();
      assert.deepEqual(await outcome, { kind: 'cancelled', content: 'partial answer' });
      assert.equal(await closedByClient(agent), true);
    });

    it('is cancelled, not timed out, when cancelled before the agent answers; or when cancelled before the call', async () => {
      const controller = new AbortController();
      const { outcome } = callAgent(standin.url('/hang'), { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      assert.deepEqual(await outcome, { kind: 'cancelled', content: '' });
      assert.deepEqual(await callAgent(standin.url('/json'), { signal: AbortSignal.abort() }).outcome, { kind: 'cancelled', content: '' });
    });

    it('fails on SSE data that is not JSON, keeping what came before', async () => {
      assert.deepEqual(await callAgent(standin.url('/garbage')).outcome, {
        kind: 'failed',
        reason: 'The agent sent a malformed event (its data is not JSON)',
        content: 'ok',
      });
    });

    it('fails when SSE ends without [DONE], keeping what came', async () => {
      assert.deepEqual(await callAgent(standin.url('/no-done?tokens=all,most')).outcome, {
        kind: 'failed',
        reason: "The agent's stream ended before [DONE]",
        content: 'allmost',
      });
    });

    it('fails when NDJSON ends without its end marker, or has a line that is not JSON', async () => {
      const missingEnd = standin.controlled('/ndjson-cut', { format: 'ndjson' });
      const cut = callAgent(standin.url('/ndjson-cut'));
      await missingEnd.arrived;
      missingEnd.sendMany(['half', ' done']);
      missingEnd.close();
      assert.deepEqual(await cut.outcome, { kind: 'failed', reason: "The agent's stream ended before its end marker", content: 'half done' });

      const garbled = standin.controlled('/ndjson-garbled', { format: 'ndjson' });
      const bad = callAgent(standin.url('/ndjson-garbled'));
      await garbled.arrived;
      garbled.send('fine');
      garbled.write('not json\n');
      assert.deepEqual(await bad.outcome, { kind: 'failed', reason: 'The agent sent a malformed line (it is not JSON)', content: 'fine' });
    });

    it("fails with the agent's own short message on an error event, in SSE and in NDJSON", async () => {
      const sse = standin.controlled('/sse-error');
      const fromSse = callAgent(standin.url('/sse-error'));
      await sse.arrived;
      sse.send('Thinking');
      sse.write('data: {"type":"error","content":"Model quota exhausted"}\n\n');
      assert.deepEqual(await fromSse.outcome, { kind: 'failed', reason: 'The agent reported an error: Model quota exhausted', content: 'Thinking' });

      const ndjson = standin.controlled('/ndjson-error', { format: 'ndjson' });
      const fromNdjson = callAgent(standin.url('/ndjson-error'));
      await ndjson.arrived;
      ndjson.write(`{"type":"error","content":"${'x'.repeat(500)}"}\n`);
      assert.deepEqual(await fromNdjson.outcome, { kind: 'failed', reason: 'The agent reported an error', content: '' });
    });

    it('fails when the connection breaks mid-answer, keeping what came', async () => {
      const agent = standin.controlled('/broken');
      const { deltas, outcome } = callAgent(standin.url('/broken'));
      await agent.arrived;
      agent.send('so far');
      await eventually(() => (deltas.length === 1 ? true : undefined), 2_000, 'first delta');
      agent.fail();
      const result = await outcome;
      assert.equal(result.kind, 'failed');
      assert.equal(result.content, 'so far');
    });

    it('fails beyond the content cap with the part that fitted, and closes the connection', async () => {
      const agent = standin.controlled('/too-long');
      const { deltas, outcome } = callAgent(standin.url('/too-long'), { limits: { maxContentChars: 5 } });
      await agent.arrived;
      agent.sendMany(['abc', 'def', 'ghi']);
      assert.deepEqual(await outcome, { kind: 'failed', reason: 'The reply exceeded 5 characters', content: 'abcde' });
      assert.deepEqual(deltas, ['abc', 'de']);
      assert.equal(await closedByClient(agent), true);

      const whole = await callAgent(standin.url('/json?tokens=abcdefgh'), { limits: { maxContentChars: 5 } }).outcome;
      assert.deepEqual(whole, { kind: 'failed', reason: 'The reply exceeded 5 characters', content: 'abcde' });
    });
  });
});
