import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { escapeHtml } from '../mail/mailer.ts';
import { sendPage } from './html-page.ts';

export const VERIFY_EMAIL_PATH = '/verify-email';

/** The link mailed by email verification: confirms the address and answers a plain page saying so. */
export async function serveVerifyEmail(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { verify(token: string): Promise<{ email: string }>; logger: Logger },
) {
  if (req.method !== 'GET') return page(res, 405, 'Method not allowed', 'Open the link from the email in a browser.');
  const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? '';
  try {
    const user = await deps.verify(token);
    return page(res, 200, 'Email confirmed', `${user.email} is confirmed. You can close this page.`);
  } catch (error) {
    if (error instanceof AppError) return page(res, 400, 'Link not valid', error.message);
    deps.logger.error({ err: error }, 'could not verify an email');
    return page(res, 503, 'Try again later', 'The address could not be confirmed right now.');
  }
}

function page(res: ServerResponse, status: number, title: string, message: string) {
  sendPage(res, status, title, `<p>${escapeHtml(message)}</p>`);
}
