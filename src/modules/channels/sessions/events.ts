import type { Catalogue } from '../../../events/catalogue.ts';
import type { StatusChangedData } from './messages.ts';

export type SessionEvents = {
  'session.status_changed': StatusChangedData;
};

export const sessionEvents = {
  'session.status_changed': { webhook: true, description: "A channel session's status changed." },
} as const satisfies Catalogue<SessionEvents>;
