import type { Catalogue } from '../../../events/catalogue.ts';
import type { StatusChangedData } from './messages.ts';

export type SessionEvents = {
  'session.status_changed': StatusChangedData;
  'session.verified': { sessionId: string };
};

export const sessionEvents = {
  'session.status_changed': { webhook: true, description: "A channel session's status changed." },
  'session.verified': { webhook: false, description: "Meta completed the verification handshake of a channel session's webhook URL." },
} as const satisfies Catalogue<SessionEvents>;
