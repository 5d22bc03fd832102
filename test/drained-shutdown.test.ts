import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startAgentStandin, type AgentStandin } from './support/agent-standin.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { controlledChat, finalReply, follow, send } from './support/conversations.ts';
import { signUpTenant } from './support/fixtures.ts';
import { Me } from './support/operations.ts';
import { backends } from './support/services.ts';

type Probe = { atMs: number; status: number | 'refused' };

/** Polls /ready every 25 ms from now on, recording each answer's time (from `since`) and status. */
function pollReady(app: RunningApp, since: number) {
  const probes: Probe[] = [];
  let polling = true;
  const done = (async () => {
    while (polling) {
      const status = await fetch(`${app.origin}/ready`).then((response) => response.status, () => 'refused' as const);
      probes.push({ atMs: Date.now() - since, status });
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  return { probes, stop: () => ((polling = false), done) };
}

/** Opens a WebSocket to /graphql as graphql-ws would; resolves with the HTTP status of a refused upgrade, or 101. */
function upgradeStatus(app: RunningApp): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(app.wsUrl, 'graphql-transport-ws');
    socket.once('open', () => (socket.close(), resolve(101)));
    socket.once('unexpected-response', (_request, response) => (resolve(response.statusCode ?? 0), socket.terminate()));
    socket.once('error', reject);
  });
}

for (const backend of backends()) {
  describe(`drained shutdown (${backend.name})`, { skip: backend.skip }, () => {
    let standin: AgentStandin;
    const apps: RunningApp[] = [];
    after(async () => {
      await Promise.all(apps.map((app) => app.stop()));
      await standin?.close();
    });
    const start = async (settings: Record<string, string>) => {
      standin ??= await startAgentStandin();
      const env = { ...(await backend.env()), ...settings };
      const app = await startApp(env);
      apps.push(app);
      return { app, env, admin: await signUpTenant(app.client) };
    };

    /** A reply streaming its first token to a follower: the agent waits for the test to go on. */
    const replyInFlight = async (app: RunningApp, token: string, firstToken: string) => {
      const { chatId, agent } = await controlledChat(app, standin, token);
      const upstream = agent();
      const { assistantMessage } = await send(app, token, chatId);
      await upstream.arrived;
      const follower = follow(app, token, assistantMessage.id);
      upstream.send(firstToken);
      await follower.next(2);
      return { chatId, upstream, assistantMessage, follower };
    };

    it('on stop: /ready 503 at once, HTTP answers through the drain window, new sockets refused, a reply in flight finishes', async () => {
      const { app, admin } = await start({ SHUTDOWN_DRAIN_MS: '1500', SHUTDOWN_REPLY_GRACE_MS: '10000' });
      const { upstream, follower } = await replyInFlight(app, admin.token, 'before ');
      try {
        assert.equal(await upgradeStatus(app), 101);

        const startedAt = Date.now();
        const stopped = app.stop().then(() => Date.now() - startedAt);
        const ready = pollReady(app, startedAt);
        await new Promise((resolve) => setTimeout(resolve, 400));
        const during = await app.client.request(Me, {}, { token: admin.token });
        assert.equal(during.data?.me.email, admin.email, 'HTTP must keep answering while draining');
        assert.equal(await upgradeStatus(app), 503);
        upstream.sendMany(['and ', 'after']);
        upstream.end();

        const events = (await follower.untilComplete()).map((event) => event.messageStream);
        const last = events.at(-1)!;
        assert.equal(last.status, 'COMPLETED');
        assert.equal(last.message?.content, 'before and after');
        const stopMs = await stopped;
        await ready.stop();
        assert.ok(stopMs >= 1500, `stop took ${stopMs} ms, less than the drain window`);
        const answered = ready.probes.filter((probe) => probe.status !== 'refused');
        assert.ok(answered.length >= 10, `only ${answered.length} /ready answers while draining`);
        assert.deepEqual([...new Set(answered.map((probe) => probe.status))], [503]);
        assert.ok(answered[0]!.atMs < 200, `the first /ready answer came ${answered[0]!.atMs} ms after stop`);
        assert.ok(answered.at(-1)!.atMs >= 1400, `/ready stopped answering at ${answered.at(-1)!.atMs} ms, before the drain window ended`);
      } finally {
        await follower.close();
      }
    });

    it('ends a reply that outlasts its grace as FAILED, and stops without waiting for it any longer', async () => {
      const { app, env, admin } = await start({ SHUTDOWN_DRAIN_MS: '0', SHUTDOWN_REPLY_GRACE_MS: '800' });
      const { chatId, upstream, assistantMessage, follower } = await replyInFlight(app, admin.token, 'partial');
      try {
        const startedAt = Date.now();
        await app.stop();
        const stopMs = Date.now() - startedAt;
        assert.ok(stopMs >= 800 && stopMs < 5000, `stop took ${stopMs} ms`);
        await upstream.closed;
        const restarted = await startApp(env);
        apps.push(restarted);
        const stored = await finalReply(restarted, admin.token, chatId, assistantMessage.id);
        assert.deepEqual([stored.status, stored.content], ['FAILED', 'partial']);
        assert.match(stored.error ?? '', /server stopped/);
      } finally {
        await follower.close();
      }
    });
  });
}
