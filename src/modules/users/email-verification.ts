import { derivedToken, sha256 } from '../../auth/secrets.ts';
import type { Viewer } from '../../auth/viewer.ts';
import { uuid7 } from '../../db/uuid7.ts';
import type { EffectKeys } from '../../events/effect-keys.ts';
import type { Outbox, UnitOfWork } from '../events.ts';
import { AppError, conflict, unauthenticated } from '../../errors.ts';
import type { PrismaClient, User } from '../../generated/prisma/client.ts';
import { escapeHtml, type Mailer } from '../../mail/mailer.ts';
import type { AuditService } from '../audit/service.ts';
import type { VerificationRequested } from './events.ts';

const PREFIX = 'ev_';
const TOKEN_LIFETIME_MS = 48 * 3_600_000;

type Recipient = Pick<User, 'id' | 'tenantId' | 'email'>;

/**
 * Proof that a user receives mail at their address, asked for only when SMTP_URL is set. Login
 * prefers verified accounts when one email and password match several (see AuthService.login),
 * so that an account made with someone else's address never stands in the way of their own.
 *
 * The link is mailed by a durable job (`user.verification_requested`): a mail server that is down
 * or a process that dies delays it, never loses it, and it goes out once. Its token is derived
 * from the verification's id with a server secret, so a retry mails the same link and the token
 * itself is stored nowhere, only its hash.
 */
export class EmailVerifications {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      outbox: Outbox;
      mailer: Mailer;
      audit: AuditService;
      effects: EffectKeys;
      publicUrl: string;
      /** Signs the tokens; the server's JWT secret, under a label of its own. */
      secret: string;
    },
  ) {}

  get required(): boolean {
    return this.deps.mailer.enabled;
  }

  /** In the transaction that creates the user: issues a link, mailed once the user is committed. */
  async request(unit: UnitOfWork, user: Recipient): Promise<void> {
    if (!this.deps.mailer.enabled) return;
    const verificationId = uuid7();
    await unit.tx.emailVerification.create({
      data: {
        id: verificationId,
        tenantId: user.tenantId,
        userId: user.id,
        email: user.email,
        tokenHash: sha256(this.tokenFor(verificationId)),
        expiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS),
      },
    });
    await unit.emit(user.tenantId, 'user.verification_requested', { verificationId, userId: user.id, email: user.email });
  }

  /** Mails the link of a verification still open, unless it went out already; throws when the mail server refused it. */
  async mailLink({ verificationId }: VerificationRequested): Promise<void> {
    const verification = await this.deps.prisma.emailVerification.findUnique({ where: { id: verificationId } });
    if (!verification || verification.usedAt || verification.expiresAt <= new Date()) return;
    const token = this.tokenFor(verificationId);
    await this.deps.effects.once(`verify-email:${verificationId}`, async () => {
      // JWT_SECRET rotated since the request derives another token: the link mailed must be one that verifies.
      if (sha256(token) !== verification.tokenHash) {
        await this.deps.prisma.emailVerification.update({ where: { id: verificationId }, data: { tokenHash: sha256(token) } });
      }
      await this.deps.mailer.deliver(compose(verification.email, this.linkFor(token), token), { userId: verification.userId, mail: 'verify-email' });
      return null;
    });
  }

  /** Sends a new link to the viewer's address; CONFLICT when it is verified already or mail is off. */
  async resend(viewer: Viewer): Promise<boolean> {
    if (!this.deps.mailer.enabled) throw conflict('email', 'Email verification is not in use on this server (SMTP_URL is not set)');
    const user = await this.deps.prisma.user.findFirstOrThrow({ where: { id: viewer.userId, tenantId: viewer.tenantId } });
    if (user.emailVerifiedAt) throw conflict('email', 'This email is already verified');
    await this.deps.outbox.transaction((unit) => this.request(unit, user));
    return true;
  }

  /** Marks the address verified; the link works once, before it expires, and only for the address it was sent to. */
  async verify(token: string): Promise<User> {
    const invalid = () => unauthenticated('This verification link is invalid, used or expired');
    if (!token.startsWith(PREFIX)) throw invalid();
    return this.deps.outbox.transaction(async (unit) => {
      const now = new Date();
      const { count } = await unit.tx.emailVerification.updateMany({
        where: { tokenHash: sha256(token), usedAt: null, expiresAt: { gt: now } },
        data: { usedAt: now },
      });
      if (count !== 1) throw invalid();
      const verification = await unit.tx.emailVerification.findUniqueOrThrow({ where: { tokenHash: sha256(token) }, include: { user: true } });
      if (verification.user.email !== verification.email) throw invalid();
      const user = await unit.tx.user.update({ where: { id: verification.userId }, data: { emailVerifiedAt: verification.user.emailVerifiedAt ?? now } });
      await this.deps.audit.write(
        { tenantId: user.tenantId, type: 'EMAIL_VERIFIED', actorType: 'USER', actorId: user.id, data: { email: user.email } },
        unit,
      );
      return user;
    });
  }

  private tokenFor(verificationId: string): string {
    return derivedToken(PREFIX, this.deps.secret, 'email-verification', verificationId);
  }

  private linkFor(token: string): string {
    return `${this.deps.publicUrl}/verify-email?token=${encodeURIComponent(token)}`;
  }
}

/** Thrown by `verify` for a token that cannot be used. */
export const isVerificationRefusal = (error: unknown) => error instanceof AppError && error.code === 'UNAUTHENTICATED';

function compose(email: string, link: string, token: string) {
  const intro = `Someone, hopefully you, created an account for ${email}. Open this link to confirm the address:`;
  const text = [intro, '', link, '', `Or pass this token to the verifyEmail mutation: ${token}`, '', 'The link works once, for 48 hours.'].join('\n');
  const html = [
    `<p>${escapeHtml(intro)}</p>`,
    `<p><a href="${escapeHtml(link)}">Confirm ${escapeHtml(email)}</a></p>`,
    `<p>Or pass this token to the <code>verifyEmail</code> mutation: <code>${escapeHtml(token)}</code></p>`,
    '<p>The link works once, for 48 hours.</p>',
  ].join('\n');
  return { to: email, subject: 'Confirm your email address', text, html };
}
