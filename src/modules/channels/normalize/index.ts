import type { Channel } from '../../../generated/prisma/client.ts';
import { normalizeInstagram } from './instagram.ts';
import { normalizeMessenger } from './messenger.ts';
import type { Normalizer } from './payload.ts';
import { normalizeWhatsApp } from './whatsapp.ts';

export { PayloadError, parseProviderJson, type NormalizedPayload, type StatusUpdate } from './payload.ts';

/** The channels whose provider calls our webhook URL, `/channels/<path segment>/:sessionId`. */
export type WebhookChannel = Extract<Channel, 'WHATSAPP' | 'INSTAGRAM' | 'MESSENGER'>;

/** Each webhook channel's normaliser, by channel. */
export const normalizers: Record<WebhookChannel, Normalizer> = {
  WHATSAPP: normalizeWhatsApp,
  MESSENGER: normalizeMessenger,
  INSTAGRAM: normalizeInstagram,
};
