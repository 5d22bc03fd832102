import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { escapeHtml } from '../mail/mailer.ts';

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
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'referrer-policy': 'no-referrer',
  });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
      `<title>${escapeHtml(title)}</title><style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style>` +
      `</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`,
  );
}
