import type { Catalogue } from '../../events/catalogue.ts';

/** An invitation to mail: the link is derived from the invitation's id, never stored or carried. */
export type InvitationMailRequested = { invitationId: string; email: string };

export type InvitationEvents = {
  'invitation.mail_requested': InvitationMailRequested;
};

export const invitationEvents = {
  'invitation.mail_requested': { webhook: false, description: 'An invitation is to be mailed to the address it invites.' },
} as const satisfies Catalogue<InvitationEvents>;
