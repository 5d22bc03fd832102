import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { CreateAgent, CreateModelAgent } from './support/agent-operations.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { startChatCompletionsStandin, TRANSCRIPT, type ChatCompletionsStandin } from './support/chat-completions-standin.ts';
import { assertCode, collect, wsClient } from './support/client.ts';
import { addMember, eventually, PASSWORD, signUpTenant } from './support/fixtures.ts';
import { images } from './support/images.ts';
import { Login, RegisterInteraction } from './support/operations.ts';
import {
  OnRecordingCreated,
  Recordings,
  registerRecording,
  RetryTranscription,
  SetInteractionTranscription,
  toneWav,
} from './support/recording-operations.ts';
import { backends } from './support/services.ts';

const API_KEY = 'sk-transcribe-0123456789';
/** The transcription call's timeout, short for the silent provider. */
const MAX_DURATION_MS = 2000;

for (const backend of backends()) {
  describe(`interactions registered as recordings (${backend.name})`, { skip: backend.skip, timeout: 90_000 }, () => {
    let app: RunningApp;
    let provider: ChatCompletionsStandin;
    before(async () => {
      [app, provider] = await Promise.all([
        backend.env().then((env) => startApp({ ...env, AGENT_MAX_DURATION_MS: String(MAX_DURATION_MS) })),
        startChatCompletionsStandin(),
      ]);
    });
    after(() => Promise.all([app?.stop(), provider?.close()]));

    /** A team whose recordings go to the stand-in's transcriptions with `model`. */
    const teamTranscribingWith = async (model: string) => {
      const admin = await signUpTenant(app.client);
      const input = { name: 'Speech', kind: 'OPENAI_COMPATIBLE' as const, baseUrl: provider.baseUrl, model: 'echo', apiKey: API_KEY };
      const agent = (await app.client.data(CreateModelAgent, { input }, { token: admin.token })).createAgent;
      const { setInteractionTranscription } = await app.client.data(SetInteractionTranscription, { agentId: agent.id, model }, { token: admin.token });
      assert.deepEqual([setInteractionTranscription.transcriptionAgentId, setInteractionTranscription.transcriptionModel], [agent.id, model]);
      return { admin, agent };
    };
    const recordingOf = async (token: string, id: string) =>
      (await app.client.data(Recordings, {}, { token })).interactions.edges.map((edge) => edge.node).find((node) => node.id === id)!;
    const settled = (token: string, id: string) =>
      eventually(async () => {
        const recording = await recordingOf(token, id);
        return recording.status === 'TRANSCRIBING' ? undefined : recording;
      }, 10_000, 'the transcription to end');

    it("transcribes a recording through the team's API, keeping speakers, and sends interaction.created once the transcript is stored", async () => {
      const { admin } = await teamTranscribingWith('diarize');
      const { client } = wsClient(app.wsUrl, { authorization: `Bearer ${admin.token}` });
      try {
        const created = collect(client, OnRecordingCreated);
        await delay(200);
        const wav = toneWav(0.5);
        const answer = await registerRecording(app, admin.token, wav, { speakerId: 'call-7' });
        assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
        const pending = answer.data!.registerInteraction;
        assert.deepEqual([pending.status, pending.text, pending.segments, pending.speakerId], ['TRANSCRIBING', '', null, 'call-7']);
        assert.equal(created.events.length, 0, 'nothing announced while transcribing');

        assertCode(await app.client.request(RetryTranscription, { id: pending.id }, { token: admin.token }), 'CONFLICT', 'id');
        const done = await settled(admin.token, pending.id);
        const segments = TRANSCRIPT.segments.map(({ speaker, start, end, text }) => ({ speaker, start, end, text: text.trim() }));
        assert.deepEqual(done, { ...pending, status: 'READY', text: TRANSCRIPT.text, segments });
        await created.next(1);
        await delay(1_000);
        assert.deepEqual(created.events.map((event) => event.interactionCreated), [done], 'announced once, with its transcript');

        const request = provider.requests.findLast((entry) => entry.path === '/v1/audio/transcriptions')!;
        assert.equal(request.headers.authorization, `Bearer ${API_KEY}`);
        assert.deepEqual(request.body, { model: 'diarize', response_format: 'verbose_json', file: { type: 'audio/wav', size: wav.length, name: 'recording.wav' } });
        assert.equal(await app.prisma().interactionAudio.count({ where: { interactionId: pending.id } }), 0, 'the voice is not kept once transcribed');
      } finally {
        await client.dispose();
      }
    });

    it('shows a failure with its reason (429, garbage, a timeout), and a retry transcribes it', async () => {
      const cases: [model: string, reason: RegExp][] = [
        ['transcribe-busy', /^The provider is rate limiting this agent \(HTTP 429\); try again in 12 s$/],
        ['transcribe-garbage', /^The provider's transcript is not valid JSON$/],
        ['transcribe-silent', /^The provider did not transcribe within 2 s$/],
      ];
      const failures = await Promise.all(
        cases.map(async ([model]) => {
          const team = await teamTranscribingWith(model);
          const { registerInteraction } = (await registerRecording(app, team.admin.token, toneWav(0.2))).data!;
          return { ...team, recording: await settled(team.admin.token, registerInteraction.id) };
        }),
      );
      cases.forEach(([model, reason], index) => {
        const { recording } = failures[index]!;
        assert.deepEqual([recording.status, recording.text], ['FAILED', ''], model);
        assert.match(recording.error ?? '', reason, model);
      });

      const { admin, agent, recording } = failures[0]!;
      await app.client.data(SetInteractionTranscription, { agentId: agent.id, model: 'whisper' }, { token: admin.token });
      const retried = (await app.client.data(RetryTranscription, { id: recording.id }, { token: admin.token })).retryInteractionTranscription;
      assert.deepEqual([retried.status, retried.error], ['TRANSCRIBING', null]);
      const done = await settled(admin.token, recording.id);
      assert.deepEqual([done.status, done.text, done.segments, done.error], ['READY', TRANSCRIPT.text, null, null]);
      assertCode(await app.client.request(RetryTranscription, { id: recording.id }, { token: admin.token }), 'CONFLICT', 'id');
    });

    it('refuses other files, oversize ones, text with audio, a team without transcription and other teams, storing nothing', async () => {
      const { admin, agent } = await teamTranscribingWith('diarize');
      assertCode(await registerRecording(app, admin.token, images['image/png']), 'BAD_USER_INPUT', 'audio');
      const oversize = toneWav(0);
      assertCode(await registerRecording(app, admin.token, Buffer.concat([oversize, Buffer.alloc(10 * 1024 * 1024)])), 'BAD_USER_INPUT', 'audio');
      assertCode(await registerRecording(app, admin.token, toneWav(0.1), { text: 'and text' }), 'BAD_USER_INPUT', 'audio');
      assertCode(await app.client.request(RegisterInteraction, { input: {} as never }, { token: admin.token }), 'BAD_USER_INPUT', 'text');
      assert.equal((await app.client.data(Recordings, {}, { token: admin.token })).interactions.edges.length, 0);

      const plain = await signUpTenant(app.client, 'No transcription');
      assertCode(await registerRecording(app, plain.token, toneWav(0.1)), 'CONFLICT', 'audio');
      assert.equal((await app.client.data(Recordings, {}, { token: plain.token })).interactions.edges.length, 0);

      const webhookAgent = (await app.client.data(CreateAgent, { input: { name: 'Hook', webhookUrl: `${provider.baseUrl}/hook` } }, { token: plain.token })).createAgent;
      assertCode(await app.client.request(SetInteractionTranscription, { agentId: webhookAgent.id, model: 'whisper' }, { token: plain.token }), 'BAD_USER_INPUT', 'agentId');
      assertCode(await app.client.request(SetInteractionTranscription, { agentId: agent.id, model: 'whisper' }, { token: plain.token }), 'BAD_USER_INPUT', 'agentId');
      const own = (await app.client.data(CreateModelAgent, { input: { name: 'Own', kind: 'OPENAI_COMPATIBLE', baseUrl: provider.baseUrl, model: 'x' } }, { token: plain.token })).createAgent;
      assertCode(await app.client.request(SetInteractionTranscription, { agentId: own.id }, { token: plain.token }), 'BAD_USER_INPUT', 'model');
      const { email } = await addMember(app.client, plain.token);
      const member = (await app.client.data(Login, { input: { email, password: PASSWORD } })).login.accessToken;
      assertCode(await app.client.request(SetInteractionTranscription, { agentId: null }, { token: member }), 'FORBIDDEN');

      const failing = await teamTranscribingWith('transcribe-busy');
      const { registerInteraction } = (await registerRecording(app, failing.admin.token, toneWav(0.1))).data!;
      await settled(failing.admin.token, registerInteraction.id);
      assertCode(await app.client.request(RetryTranscription, { id: registerInteraction.id }, { token: plain.token }), 'NOT_FOUND');
      assert.equal((await recordingOf(failing.admin.token, registerInteraction.id)).status, 'FAILED', "another team's retry changed nothing");
    });
  });
}
