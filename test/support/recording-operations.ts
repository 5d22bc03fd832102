import { print } from 'graphql';
import { graphql } from '../generated/gql.ts';
import type { RegisterRecordingMutation } from '../generated/graphql.ts';
import type { RunningApp } from './app.ts';
import type { GraphQLErrorShape, GraphQLResult } from './client.ts';

export const RecordingFields = graphql(`
  fragment RecordingFields on Interaction {
    id text status error speakerId segments { speaker start end text }
  }
`);

export const RegisterRecording = graphql(`
  mutation RegisterRecording($input: RegisterInteractionInput!) {
    registerInteraction(input: $input) { ...RecordingFields }
  }
`);

export const Recordings = graphql(`
  query Recordings {
    interactions(first: 10) { edges { node { ...RecordingFields } } }
  }
`);

export const RetryTranscription = graphql(`
  mutation RetryTranscription($id: ID!) {
    retryInteractionTranscription(id: $id) { ...RecordingFields }
  }
`);

export const SetInteractionTranscription = graphql(`
  mutation SetInteractionTranscription($agentId: ID, $model: String) {
    setInteractionTranscription(agentId: $agentId, model: $model) { id transcriptionAgentId transcriptionModel }
  }
`);

export const OnRecordingCreated = graphql(`
  subscription OnRecordingCreated {
    interactionCreated { ...RecordingFields }
  }
`);


/** Registers an interaction with a recording, as a GraphQL multipart request (Apollo's and urql's upload links send these). */
export async function registerRecording(
  app: RunningApp,
  token: string,
  bytes: Uint8Array,
  input: Record<string, unknown> = {},
): Promise<GraphQLResult<RegisterRecordingMutation>> {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query: print(RegisterRecording), variables: { input: { ...input, audio: null } } }));
  form.set('map', JSON.stringify({ 0: ['variables.input.audio'] }));
  form.set('0', new File([new Uint8Array(bytes)], 'call.bin', { type: 'application/octet-stream' }));
  const response = await fetch(`${app.origin}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const body = (await response.json()) as { data?: RegisterRecordingMutation | null; errors?: GraphQLErrorShape[] };
  return { status: response.status, headers: response.headers, data: body.data, errors: body.errors };
}

/** A real WAV file: `seconds` of a 440 Hz tone, 8 kHz, 16-bit mono PCM. */
export function toneWav(seconds: number): Uint8Array {
  const rate = 8000;
  const samples = Math.round(seconds * rate);
  const data = Buffer.alloc(samples * 2);
  for (let index = 0; index < samples; index++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * index) / rate) * 8000), index * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
