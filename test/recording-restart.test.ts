/**
 * A recording whose transcription was under way when its server was killed (SIGKILL) is
 * transcribed after the restart, and announced once.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { CreateModelAgent } from './support/agent-operations.ts';
import { startChatCompletionsStandin, TRANSCRIPT, type ChatCompletionsStandin } from './support/chat-completions-standin.ts';
import { GraphQLClient } from './support/client.ts';
import { eventually, signUpTenant } from './support/fixtures.ts';
import { CreateWebhookEndpoint } from './support/operations.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { Recordings, registerRecording, SetInteractionTranscription, toneWav } from './support/recording-operations.ts';
import { startServer, type ServerProcess } from './support/server-process.ts';
import { backends } from './support/services.ts';

for (const backend of backends()) {
  describe(`a transcription across a SIGKILL (${backend.name})`, { skip: backend.skip, timeout: 90_000 }, () => {
    let provider: ChatCompletionsStandin;
    let receiver: Receiver;
    let server: ServerProcess | undefined;
    before(async () => {
      [provider, receiver] = await Promise.all([startChatCompletionsStandin(), startReceiver()]);
    });
    afterEach(() => server?.child.kill('SIGKILL'));
    after(() => Promise.all([provider?.close(), receiver?.close()]));

    it('transcribes after the restart what the killed server was transcribing, and sends interaction.created once', async () => {
      // A killed instance's claims come back soon.
      const env = { ...(await backend.env()), ALLOW_PRIVATE_URLS: '127.0.0.1', CONSUMER_LEASE_MS: '1500' };
      server = startServer(env);
      let origin = new URL(await server.ready).origin;
      let client = new GraphQLClient(origin);
      const admin = await signUpTenant(client);
      const input = { name: 'Speech', kind: 'OPENAI_COMPATIBLE' as const, baseUrl: provider.baseUrl, model: 'echo' };
      const agent = (await client.data(CreateModelAgent, { input }, { token: admin.token })).createAgent;
      await client.data(SetInteractionTranscription, { agentId: agent.id, model: 'transcribe-held-once' }, { token: admin.token });
      await client.data(CreateWebhookEndpoint, { input: { url: receiver.url('/interactions'), events: ['interaction.created'] } }, { token: admin.token });

      const answer = await registerRecording({ origin } as never, admin.token, toneWav(0.3));
      const id = answer.data!.registerInteraction.id;
      await eventually(() => (provider.requests.some((request) => request.path === '/v1/audio/transcriptions') ? true : undefined), 10_000, 'the transcription to start');
      server.child.kill('SIGKILL');
      await server.exited;

      server = startServer(env);
      origin = new URL(await server.ready).origin;
      client = new GraphQLClient(origin);
      const done = await eventually(async () => {
        const recordings = (await client.data(Recordings, {}, { token: admin.token })).interactions.edges.map((edge) => edge.node);
        const recording = recordings.find((node) => node.id === id);
        return recording?.status === 'READY' ? recording : undefined;
      }, 20_000, 'the transcription to finish after the restart');
      assert.equal(done.text, TRANSCRIPT.text);
      assert.equal(provider.requests.filter((request) => request.path === '/v1/audio/transcriptions').length, 2, 'asked again once');

      await receiver.waitFor('/interactions', 1, 10_000);
      await delay(1_500);
      const announced = receiver.to('/interactions').map((request) => (JSON.parse(request.body) as { data: { id: string } }).data.id);
      assert.deepEqual(announced, [id], 'interaction.created went out once');
    });
  });
}
