import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { escapeHtml } from '../mail/mailer.ts';
import { sendPage } from './html-page.ts';
import { readBodyWithin } from './request-body.ts';

type Preview = { email: string; role: 'ADMIN' | 'USER'; teamName: string; expiresAt: Date };

type Invitations = {
  preview(token: string): Promise<Preview | null>;
  accept(viewer: null, input: { token: string; password?: string | null; fullName?: string | null }): Promise<{ user: { email: string; tenantId: string } }>;
};

const MAX_FORM_BYTES = 4096;

/**
 * The link of an invitation: a form to join the team (GET), and its answer (POST). It starts no
 * session in the browser; the new member signs in from their app. Frontends with a page of their
 * own call `invitationPreview` and `acceptInvitation` instead.
 */
export async function serveAcceptInvitation(req: IncomingMessage, res: ServerResponse, deps: { invitations: Invitations; teamSlug(tenantId: string): Promise<string>; logger: Logger }) {
  try {
    if (req.method === 'GET') {
      const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? '';
      const preview = token ? await deps.invitations.preview(token) : null;
      if (!preview) return invalid(res);
      return form(res, 200, token, preview, null);
    }
    if (req.method !== 'POST') return sendPage(res, 405, 'Method not allowed', '<p>Open the link from the invitation in a browser.</p>');
    const body = await readBodyWithin(req, MAX_FORM_BYTES);
    if (!body) return sendPage(res, 413, 'Too large', '<p>The form sent was too large.</p>');
    const fields = new URLSearchParams(body.toString('utf8'));
    const token = fields.get('token') ?? '';
    const preview = await deps.invitations.preview(token);
    if (!preview) return invalid(res);
    try {
      const { user } = await deps.invitations.accept(null, { token, password: fields.get('password'), fullName: fields.get('fullName') || null });
      const slug = await deps.teamSlug(user.tenantId);
      return sendPage(
        res,
        200,
        `Welcome to ${preview.teamName}`,
        `<p>You joined <strong>${escapeHtml(preview.teamName)}</strong> as ${escapeHtml(user.email)}.</p>` +
          `<p>Sign in from your app with this address and your password. If you belong to several teams, choose <code>${escapeHtml(slug)}</code>.</p>`,
      );
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return form(res, 400, token, preview, error.message);
    }
  } catch (error) {
    deps.logger.error({ err: error }, 'could not serve an invitation page');
    return sendPage(res, 503, 'Try again later', '<p>The invitation cannot be read right now.</p>');
  }
}

function invalid(res: ServerResponse) {
  sendPage(res, 404, 'Invitation not valid', '<p>This invitation is invalid, used, revoked or expired: ask the team for a new one.</p>');
}

function form(res: ServerResponse, status: number, token: string, preview: Preview, error: string | null) {
  const role = preview.role === 'ADMIN' ? 'an admin' : 'a member';
  sendPage(
    res,
    status,
    `Join ${preview.teamName}`,
    `<p>You are invited to join <strong>${escapeHtml(preview.teamName)}</strong> as ${role}, with the address <strong>${escapeHtml(preview.email)}</strong>.</p>` +
      (error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '') +
      `<form method="post">` +
      `<input type="hidden" name="token" value="${escapeHtml(token)}">` +
      `<label for="fullName">Your name</label><input id="fullName" name="fullName" autocomplete="name" maxlength="120">` +
      `<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="new-password" required minlength="10" maxlength="200">` +
      `<p class="hint">At least 10 characters. Already in another team with this address? Sign in there and accept from your app to keep one password.</p>` +
      `<button type="submit">Join ${escapeHtml(preview.teamName)}</button></form>` +
      `<p class="hint">This link works once, until ${escapeHtml(preview.expiresAt.toUTCString())}.</p>`,
  );
}
