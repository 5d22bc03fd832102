/**
 * What happens after what: every reaction of one module to another's events, in one table.
 *
 * Each event committed to the outbox is, by the dispatcher, in one transaction:
 * - published to pub/sub, for GraphQL subscriptions;
 * - scheduled as a webhook delivery to each endpoint of its tenant subscribed to its type;
 * - enqueued as a job of each consumer below whose `on` is its type (and whose `select` wants it).
 * Jobs run on the consumer worker: claimed with SKIP LOCKED, leased, retried with backoff and
 * kept with their state (`consumer_jobs`). Transactional consumers change the database only and
 * run exactly once; effect consumers run at least once and remember what they did outside
 * (`effect_keys`), so that a retry does not do it again.
 *
 * A WhatsApp, Messenger or Instagram message: POST /channels/... stores the raw payload as jobs
 * of `channels.inbound-payload` (one per contact in it) and answers 200 → those jobs, in batches,
 * store contacts, conversations, messages and leads, emitting `conversation.created`,
 * `message.received` and `lead.*` → the dispatcher publishes them, delivers them to webhooks, and
 * enqueues `channels.auto-reply` when the session auto-replies (and `leads.hot-lead-email` when
 * the lead turned HOT).
 *
 * Meta's verification handshake (GET /channels/...): `session.verified` → `channels.session-connected`
 * makes a PENDING session CONNECTED.
 *
 * Lead intent: `message.received` also enqueues `leads.ai-intent` when the session's team chose an
 * intent agent, which asks it for a verdict on the conversation's lead (effect-keyed by the message).
 *
 * A recorded interaction: `interaction.transcription_requested` → `interactions.transcribe` sends
 * the audio to the team's transcription API, stores the transcript and emits `interaction.created`.
 *
 * A sign-up (with SMTP_URL set): the user and their email verification commit with
 * `user.verification_requested` → `users.verification-email` mails the link. An invitation likewise:
 * `invitation.mail_requested` → `invitations.mail` mails its link.
 */
import type { ConsumerTable } from './events/consumers.ts';
import { AUTO_REPLY_CONSUMER, type AutoReplies } from './modules/channels/auto-reply.ts';
import type { SessionsService } from './modules/channels/sessions/service.ts';
import { INBOUND_PAYLOAD_CONSUMER, type ChannelWebhookIntake } from './modules/channels/webhook-intake.ts';
import type { AppEvents } from './modules/events.ts';
import { AI_INTENT_CONSUMER, type AiIntent } from './modules/leads/ai-intent.ts';
import { TRANSCRIBE_CONSUMER, type Recordings } from './modules/interactions/recordings.ts';
import type { LeadNotifier } from './modules/leads/notifier.ts';
import type { InvitationsService } from './modules/invitations/service.ts';
import type { EmailVerifications } from './modules/users/email-verification.ts';

export function createConsumers(deps: {
  recordings: Recordings;
  channelWebhooks: ChannelWebhookIntake;
  sessions: SessionsService;
  autoReplies: AutoReplies;
  aiIntent: AiIntent;
  leadNotifier: LeadNotifier;
  emailVerifications: EmailVerifications;
  invitations: InvitationsService;
}): ConsumerTable<AppEvents> {
  return {
    [INBOUND_PAYLOAD_CONSUMER]: {
      kind: 'transactional',
      run: (unit, jobs) => deps.channelWebhooks.process(unit, jobs),
    },
    'channels.session-connected': {
      on: 'session.verified',
      kind: 'transactional',
      run: async (unit, jobs) => {
        for (const job of jobs) await deps.sessions.connectVerified(unit, job.tenantId, job.payload.data.sessionId);
      },
    },
    [AUTO_REPLY_CONSUMER]: {
      on: 'message.received',
      kind: 'effect',
      keyOf: (event) => event.data.id,
      select: (db, events) => deps.autoReplies.answerable(db, events),
      run: (job, signal) => deps.autoReplies.replyTo(job.payload.data, signal),
    },
    [AI_INTENT_CONSUMER]: {
      on: 'message.received',
      kind: 'effect',
      keyOf: (event) => event.data.id,
      select: (db, events) => deps.aiIntent.classifiable(db, events),
      run: (job, signal) => deps.aiIntent.classify(job.tenantId, job.payload.data, signal),
    },
    [TRANSCRIBE_CONSUMER]: {
      on: 'interaction.transcription_requested',
      kind: 'effect',
      run: (job, signal) => deps.recordings.transcribe(job.tenantId, job.payload.data.interactionId, signal),
    },
    'leads.hot-lead-email': {
      on: 'lead.turned_hot',
      kind: 'effect',
      run: (job) => deps.leadNotifier.notifyHot(job.tenantId, job.payload.data),
    },
    'users.verification-email': {
      on: 'user.verification_requested',
      kind: 'effect',
      run: (job) => deps.emailVerifications.mailLink(job.payload.data),
    },
    'invitations.mail': {
      on: 'invitation.mail_requested',
      kind: 'effect',
      run: (job) => deps.invitations.mailLink(job.payload.data),
    },
  };
}
