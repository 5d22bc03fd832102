import { builder } from '../../schema/builder.ts';
import { MAX_AUDIO_BYTES } from '../../uploads/audio-file.ts';
import type { TranscriptSegment } from './messages.ts';
import type { ServiceStatus } from './service.ts';
import { LIVE_ONLY } from '../../schema/live-only.ts';

/** Turning the service on and off changes what every caller of the tenant may do: an admin's decision. */
const adminWrite = { $all: { admin: true, scope: 'interactions:write' } } as const;

const InteractionStatusEnum = builder.enumType('InteractionStatus', {
  description: 'Where an interaction is: text is READY at once, a recording once transcribed.',
  values: {
    TRANSCRIBING: { description: 'A recording waiting for its transcript; `interaction.created` follows it.' },
    READY: { description: '`text` is what was said.' },
    FAILED: { description: 'The recording could not be transcribed: `error` says why; `retryInteractionTranscription` tries again.' },
  } as const,
});

const TranscriptSegmentRef = builder.objectRef<TranscriptSegment>('TranscriptSegment').implement({
  description: 'A stretch of a transcript.',
  fields: (t) => ({
    speaker: t.exposeString('speaker', { nullable: true, description: "Who spoke, as the provider labels speakers (e.g. A, B); null when it does not tell them apart." }),
    start: t.exposeFloat('start', { description: 'Where it starts in the recording, in seconds.' }),
    end: t.exposeFloat('end', { description: 'Where it ends, in seconds.' }),
    text: t.exposeString('text', { description: 'What was said.' }),
  }),
});

const InteractionRef = builder.prismaObject('Interaction', {
  description: 'Something said in a conversation, registered by a service of the tenant: as text, or as a recording transcribed.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier; ids grow with time.' }),
    text: t.exposeString('text', { description: "What was said: as registered, or a recording's transcript (empty until it is READY)." }),
    status: t.expose('status', { type: InteractionStatusEnum, description: 'READY, or where a recording is.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why the transcription FAILED, in words to act on.' }),
    segments: t.field({
      type: [TranscriptSegmentRef],
      nullable: true,
      description: "A recording's transcript in segments, with speakers where the provider gives them; null for text.",
      select: { segments: true },
      resolve: (interaction) => (interaction.segments as TranscriptSegment[] | null) ?? null,
    }),
    speakerId: t.exposeString('speakerId', { nullable: true, description: "Who said it, in the registering service's own terms." }),
    conversationId: t.exposeString('conversationId', { nullable: true, description: "The conversation it belongs to, in the registering service's own terms." }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime', description: 'When it was said.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was registered.' }),
  }),
});

const ServiceStatusRef = builder.objectRef<ServiceStatus>('ServiceStatus').implement({
  description: "Whether the tenant's interaction service accepts interactions.",
  fields: (t) => ({
    enabled: t.exposeBoolean('enabled', { description: 'While false, `registerInteraction` answers CONFLICT.' }),
    updatedAt: t.expose('updatedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When an admin last enabled or disabled it; null if nobody ever has (it starts enabled).',
    }),
  }),
});

const RegisterInteractionInput = builder.inputType('RegisterInteractionInput', {
  description: 'An interaction to register.',
  fields: (t) => ({
    text: t.string({ description: 'What was said, 1 to 10000 characters, not only whitespace. Give either this or `audio`.' }),
    audio: t.field({
      type: 'File',
      description:
        `A recording of what was said, sent as a GraphQL multipart request: MP3, M4A, WAV, Ogg or WebM (judged by its bytes), at most ${MAX_AUDIO_BYTES} bytes. ` +
        "The interaction is TRANSCRIBING until the team's transcription API (`setInteractionTranscription`) answers; " +
        '`interaction.created` goes out once the transcript is stored.',
    }),
    speakerId: t.string({ description: 'Who said it, up to 200 characters.' }),
    conversationId: t.string({ description: 'The conversation it belongs to, up to 200 characters.' }),
    occurredAt: t.field({ type: 'DateTime', description: 'When it was said; defaults to now, at most 5 minutes ahead.' }),
  }),
});

builder.queryFields((t) => ({
  interactions: t.withAuth({ scope: 'interactions:read' }).prismaConnection(
    {
      type: 'Interaction',
      cursor: 'id',
      description: "The tenant's interactions, most recently registered first.",
      defaultSize: 20,
      maxSize: 100,
      resolve: (query, _root, _args, { services, viewer }) => services.interactions.list(viewer.tenantId, query),
    },
    { name: 'InteractionConnection', description: 'A page of interactions.' },
    { name: 'InteractionEdge', description: 'An interaction and its cursor.' },
  ),
  serviceStatus: t.withAuth({ scope: 'interactions:read' }).field({
    type: ServiceStatusRef,
    description: "Whether the tenant's interaction service accepts interactions.",
    resolve: (_root, _args, { services, viewer }) => services.interactions.status(viewer.tenantId),
  }),
}));

builder.mutationFields((t) => ({
  registerInteraction: t.withAuth({ scope: 'interactions:write' }).field({
    type: InteractionRef,
    description:
      'Stores an interaction and sends `interaction.created` to `interactionCreated` subscribers and to every service ' +
      'client with a webhook URL; a recording once transcribed (see `audio`). Give `text` or `audio` (BAD_USER_INPUT otherwise). While the service is disabled it is refused with CONFLICT ' +
      '("The interaction service is disabled") and nothing is stored: retry once an admin runs `enableService`.',
    args: { input: t.arg({ type: RegisterInteractionInput, required: true, description: 'The input; each field is described on `RegisterInteractionInput`.' }) },
    resolve: (_root, { input }, { services, viewer }) => services.interactions.register(viewer.tenantId, input),
  }),
  retryInteractionTranscription: t.withAuth({ scope: 'interactions:write' }).prismaField({
    type: 'Interaction',
    description: 'Transcribes a FAILED recording again (TRANSCRIBING until it is done); CONFLICT for any other status.',
    args: { id: t.arg.id({ required: true, description: 'The interaction.' }) },
    resolve: (_query, _root, { id }, { services, viewer }) => services.recordings.retryTranscription(viewer.tenantId, id),
  }),
  setInteractionTranscription: t.withAuth({ $all: { admin: true, scope: 'tenant:write' } }).prismaField({
    type: 'Tenant',
    description:
      "Chooses how recorded interactions are transcribed: an active OPENAI_COMPATIBLE agent, whose base URL and API key are used for " +
      '`<baseUrl>/audio/transcriptions`, and a transcription model (e.g. whisper-1); a null agentId turns recordings off. Admins only.',
    args: {
      agentId: t.arg.id({ description: 'The agent; null (or omitted) for none.' }),
      model: t.arg.string({ description: 'The transcription model, required with an agent; at most 200 characters.' }),
    },
    resolve: (query, _root, args, { services, viewer }) => services.recordings.configure(viewer, args, query),
  }),
  enableService: t.withAuth(adminWrite).field({
    type: ServiceStatusRef,
    description: 'Lets the tenant register interactions again. Admins only.',
    resolve: (_root, _args, { services, viewer }) => services.interactions.setEnabled(viewer, true),
  }),
  disableService: t.withAuth(adminWrite).field({
    type: ServiceStatusRef,
    description: 'Refuses interactions (CONFLICT) until `enableService`; those already stored stay. Admins only.',
    resolve: (_root, _args, { services, viewer }) => services.interactions.setEnabled(viewer, false),
  }),
}));

builder.subscriptionField('interactionCreated', (t) =>
  t.withAuth({ scope: 'interactions:read' }).field({
    extensions: LIVE_ONLY,
    type: InteractionRef,
    description: "Every interaction registered in the viewer's tenant, live.",
    subscribe: (_root, _args, { services, viewer }) => services.interactions.follow(viewer.tenantId),
    resolve: (interaction) => interaction,
  }),
);
