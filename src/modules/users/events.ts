import type { Catalogue } from '../../events/catalogue.ts';

/** A user's address to confirm: the link is derived from the verification's id, never stored or carried. */
export type VerificationRequested = { verificationId: string; userId: string; email: string };

export type UserEvents = {
  'user.verification_requested': VerificationRequested;
};

export const userEvents = {
  'user.verification_requested': { webhook: false, description: 'A user is to confirm their email address: the link is mailed to them.' },
} as const satisfies Catalogue<UserEvents>;
