/** `visitorReplies`: the live replies a widget streams over SSE, for one visitor alone. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { signUpTenant } from './support/fixtures.ts';
import { backends } from './support/services.ts';
import { SendSessionMessage } from './support/session-operations.ts';
import { newAddress, newVisitorId, SHOP_ORIGIN, visitorBrowser, websiteSession } from './support/widget-operations.ts';

const AUTO_REPLY = 'Thanks! We will answer shortly.';
const REPLIES = `subscription ($sessionId: ID!, $publishableKey: String!, $visitorId: String!) {
  visitorReplies(sessionId: $sessionId, publishableKey: $publishableKey, visitorId: $visitorId) { id conversationId direction text status }
}`;

type Reply = { id: string; conversationId: string; direction: string; text: string; status: string };
type Result = { data?: { visitorReplies: Reply } | null; errors?: { message: string; extensions?: { code?: string } }[] };

/** A widget's SSE stream of `visitorReplies`, as the widget page opens it; `results` fills as events arrive. */
async function openStream(origin: string, variables: Record<string, string>, headers: Record<string, string>) {
  const abort = new AbortController();
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query: REPLIES, variables }),
    signal: abort.signal,
  });
  const results: Result[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const data = buffer.slice(0, end).split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('');
          buffer = buffer.slice(end + 2);
          if (data) results.push(JSON.parse(data) as Result);
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    results,
    /** Waits until `count` results arrived, or fails after `timeoutMs`. */
    async waitFor(count: number, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (results.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${results.length} of ${count} results: ${JSON.stringify(results)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return results;
    },
    close: async () => {
      abort.abort();
      await reading;
    },
  };
}

for (const backend of backends()) {
  describe(`visitorReplies, live replies to one visitor (${backend.name})`, { skip: backend.skip, timeout: 60_000 }, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp({ ...(await backend.env()), TRUST_PROXY: '1' });
    });
    after(() => app?.stop());

    it("streams the visitor's auto-replies and a teammate's answers, never another visitor's", async () => {
      const admin = await signUpTenant(app.client);
      const site = await websiteSession(app, admin.token, { mode: 'TEXT', text: AUTO_REPLY });
      const [me, other] = [newVisitorId(), newVisitorId()];
      const address = newAddress();
      const stream = await openStream(app.origin, { ...site, visitorId: me }, { origin: SHOP_ORIGIN, 'x-forwarded-for': address });
      try {
        // Subscribed once the stream answers; a message sent before could race it.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await visitorBrowser(app, { ...site, visitorId: other }).send('I am someone else');
        const { conversationId } = (await visitorBrowser(app, { ...site, visitorId: me }).send('Hello?')).data!.visitorMessage;
        const [auto] = await stream.waitFor(1);
        assert.deepEqual(auto?.data?.visitorReplies && { ...auto.data.visitorReplies, id: undefined }, {
          id: undefined,
          conversationId,
          direction: 'OUTBOUND',
          text: AUTO_REPLY,
          status: 'SENT',
        });
        await app.client.data(SendSessionMessage, { input: { sessionId: site.sessionId, to: me, text: 'A person here.' } }, { token: admin.token });
        await app.client.data(SendSessionMessage, { input: { sessionId: site.sessionId, to: other, text: 'Not for you.' } }, { token: admin.token });
        const results = await stream.waitFor(2);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(stream.results.map((result) => result.data?.visitorReplies.text), [AUTO_REPLY, 'A person here.']);
        assert.equal(results.length, 2);
      } finally {
        await stream.close();
      }
    });

    it('refuses a wrong key, another origin, another team and too many streams from one address', async () => {
      const admin = await signUpTenant(app.client);
      const site = await websiteSession(app, admin.token, { mode: 'OFF' });
      const stranger = await signUpTenant(app.client, 'Other team');
      const theirs = await websiteSession(app, stranger.token, { mode: 'OFF' });
      const refusal = async (variables: Record<string, string>, headers: Record<string, string>) => {
        const stream = await openStream(app.origin, variables, headers);
        try {
          return (await stream.waitFor(1))[0]?.errors?.[0]?.extensions?.code;
        } finally {
          await stream.close();
        }
      };
      const visitorId = newVisitorId();
      const fromShop = { origin: SHOP_ORIGIN, 'x-forwarded-for': newAddress() };
      assert.equal(await refusal({ ...site, publishableKey: 'pk_wrong', visitorId }, fromShop), 'UNAUTHENTICATED');
      assert.equal(await refusal({ ...site, publishableKey: theirs.publishableKey, visitorId }, fromShop), 'UNAUTHENTICATED');
      assert.equal(await refusal({ ...site, visitorId }, { origin: 'https://elsewhere.example', 'x-forwarded-for': newAddress() }), 'FORBIDDEN');
      assert.equal(await refusal({ ...site, visitorId }, { 'x-forwarded-for': newAddress() }), 'FORBIDDEN');

      const address = { origin: SHOP_ORIGIN, 'x-forwarded-for': newAddress() };
      const open = await Promise.all(Array.from({ length: 10 }, () => openStream(app.origin, { ...site, visitorId: newVisitorId() }, address)));
      try {
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(open.map((stream) => stream.results.length), Array(10).fill(0), 'ten streams stay open');
        assert.equal(await refusal({ ...site, visitorId: newVisitorId() }, address), 'RATE_LIMITED');
      } finally {
        await Promise.all(open.map((stream) => stream.close()));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const again = await openStream(app.origin, { ...site, visitorId: newVisitorId() }, address);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(again.results, [], 'closed streams no longer count');
      await again.close();
    });
  });
}
