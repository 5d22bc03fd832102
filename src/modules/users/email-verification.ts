import { generateSecret, sha256 } from '../../auth/secrets.ts';
import type { Viewer } from '../../auth/viewer.ts';
import type { UnitOfWork } from '../events.ts';
import type { Outbox } from '../events.ts';
import { AppError, conflict, unauthenticated } from '../../errors.ts';
import type { PrismaClient, User } from '../../generated/prisma/client.ts';
import { escapeHtml, type Mailer } from '../../mail/mailer.ts';
import type { AuditService } from '../audit/service.ts';

const PREFIX = 'ev_';
const TOKEN_LIFETIME_MS = 48 * 3_600_000;

type Recipient = Pick<User, 'id' | 'tenantId' | 'email'>;

/**
 * Proof that a user receives mail at their address, asked for only when SMTP_URL is set. Login
 * prefers verified accounts when one email and password match several (see AuthService.login),
 * so that an account made with someone else's address never stands in the way of their own.
 */
export class EmailVerifications {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    private readonly mailer: Mailer,
    private readonly audit: AuditService,
    private readonly publicUrl: string,
  ) {}

  get required(): boolean {
    return this.mailer.enabled;
  }

  /** In the transaction that creates the user: issues a link, mailed once the user is committed. */
  async request(unit: UnitOfWork, user: Recipient): Promise<void> {
    if (!this.mailer.enabled) return;
    const token = generateSecret(PREFIX);
    await unit.tx.emailVerification.create({
      data: { tenantId: user.tenantId, userId: user.id, email: user.email, tokenHash: sha256(token), expiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS) },
    });
    unit.afterCommit(() => this.mailer.send(compose(user.email, this.linkFor(token), token), { userId: user.id, mail: 'verify-email' }));
  }

  /** Sends a new link to the viewer's address; CONFLICT when it is verified already or mail is off. */
  async resend(viewer: Viewer): Promise<boolean> {
    if (!this.mailer.enabled) throw conflict('email', 'Email verification is not in use on this server (SMTP_URL is not set)');
    const user = await this.prisma.user.findFirstOrThrow({ where: { id: viewer.userId, tenantId: viewer.tenantId } });
    if (user.emailVerifiedAt) throw conflict('email', 'This email is already verified');
    await this.outbox.transaction((unit) => this.request(unit, user));
    return true;
  }

  /** Marks the address verified; the link works once, before it expires, and only for the address it was sent to. */
  async verify(token: string): Promise<User> {
    const invalid = () => unauthenticated('This verification link is invalid, used or expired');
    if (!token.startsWith(PREFIX)) throw invalid();
    return this.outbox.transaction(async (unit) => {
      const now = new Date();
      const { count } = await unit.tx.emailVerification.updateMany({
        where: { tokenHash: sha256(token), usedAt: null, expiresAt: { gt: now } },
        data: { usedAt: now },
      });
      if (count !== 1) throw invalid();
      const verification = await unit.tx.emailVerification.findUniqueOrThrow({ where: { tokenHash: sha256(token) }, include: { user: true } });
      if (verification.user.email !== verification.email) throw invalid();
      const user = await unit.tx.user.update({ where: { id: verification.userId }, data: { emailVerifiedAt: verification.user.emailVerifiedAt ?? now } });
      await this.audit.write(
        { tenantId: user.tenantId, type: 'EMAIL_VERIFIED', actorType: 'USER', actorId: user.id, data: { email: user.email } },
        unit,
      );
      return user;
    });
  }

  private linkFor(token: string): string {
    return `${this.publicUrl}/verify-email?token=${encodeURIComponent(token)}`;
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
