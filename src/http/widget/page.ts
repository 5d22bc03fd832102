import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChannelSession } from '../../generated/prisma/client.ts';
import { GRAPHQL_PATH } from '../../auth/cookies.ts';
import { escapeHtml } from '../../mail/mailer.ts';
import { sendPage } from '../html-page.ts';
import { WIDGET_LOADER_SCRIPT } from './loader-script.ts';
import { WIDGET_PAGE_SCRIPT } from './page-script.ts';

/** `/widget/<session id>?key=pk_…`: the chat page a website frames, or a QR code opens. */
export const WIDGET_PAGE_PATH = /^\/widget\/([A-Za-z0-9-]{1,100})$/;
export const WIDGET_LOADER_PATH = '/widget.js';

export type WidgetPageDependencies = {
  /** The WEBSITE session the key opens; null for an unknown session or a wrong key, alike. */
  hostedSession(sessionId: string, publishableKey: string): Promise<ChannelSession | null>;
  /** The origins that may frame the session's widget page. */
  allowedOrigins(session: ChannelSession): string[];
};

const LOADER_ETAG = `"${createHash('sha256').update(WIDGET_LOADER_SCRIPT).digest('base64url').slice(0, 16)}"`;

/** Serves the embeddable snippet: cacheable for an hour, revalidated by its hash. */
export function serveWidgetLoader(req: IncomingMessage, res: ServerResponse): void {
  const headers = {
    'content-type': 'text/javascript; charset=utf-8',
    'cache-control': 'public, max-age=3600',
    etag: LOADER_ETAG,
    'x-content-type-options': 'nosniff',
    // Loaded by other sites' pages by design.
    'cross-origin-resource-policy': 'cross-origin',
  };
  if (req.headers['if-none-match'] === LOADER_ETAG) {
    res.writeHead(304, headers);
    return void res.end();
  }
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : WIDGET_LOADER_SCRIPT);
}

/**
 * Serves the widget page of a WEBSITE session. Only the session's allowed origins may frame it
 * (CSP frame-ancestors), so its calls, which come from this server's own origin, speak for a
 * site the team allowed; opened on its own (a QR code, a link), it is the team's hosted chat.
 */
export async function serveWidgetPage(req: IncomingMessage, res: ServerResponse, sessionId: string, deps: WidgetPageDependencies) {
  const key = new URL(req.url ?? '/', 'http://widget').searchParams.get('key') ?? '';
  const session = key.length <= 200 ? await deps.hostedSession(sessionId, key) : null;
  if (!session) {
    return sendPage(res, 404, 'This chat is not available', '<p class="hint">The link is incomplete or the chat was removed.</p>');
  }
  const nonce = randomBytes(16).toString('base64');
  const ancestors = ["'self'", ...deps.allowedOrigins(session)].join(' ');
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy':
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; ` +
      `base-uri 'none'; form-action 'none'; frame-ancestors ${ancestors}`,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') return void res.end();
  const config = JSON.stringify({ sessionId: session.id, publishableKey: key, graphqlPath: GRAPHQL_PATH }).replace(/</g, '\\u003c');
  res.end(
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
      `<title>${escapeHtml(session.name)}</title><style nonce="${nonce}">${STYLE}</style></head><body>` +
      `<header><h1>${escapeHtml(session.name)}</h1><p>We usually answer in a few minutes.</p></header>` +
      '<ol id="messages" aria-live="polite"></ol><p id="status" role="alert" hidden></p>' +
      '<form id="composer"><label for="text" class="visually-hidden">Your message</label>' +
      '<input id="text" name="text" autocomplete="off" maxlength="4000" placeholder="Write a message…" required>' +
      '<button type="submit">Send</button></form>' +
      `<script type="application/json" id="widget-config">${config}</script>` +
      `<script nonce="${nonce}">${WIDGET_PAGE_SCRIPT}</script></body></html>`,
  );
}

const STYLE = [
  'html,body{height:100%;margin:0}',
  'body{display:flex;flex-direction:column;font:15px/1.4 system-ui,sans-serif;color:#1d2433;background:#fff}',
  'header{padding:14px 16px;background:#3056d3;color:#fff}header h1{margin:0;font-size:17px}header p{margin:2px 0 0;font-size:13px;opacity:.85}',
  '#messages{flex:1;overflow-y:auto;list-style:none;margin:0;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f5f7fb}',
  '#messages li{max-width:80%;padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}',
  '#messages .mine{align-self:flex-end;background:#3056d3;color:#fff;border-bottom-right-radius:4px}',
  '#messages .theirs{align-self:flex-start;background:#fff;border:1px solid #e4e7ec;border-bottom-left-radius:4px}',
  '#status{margin:0;padding:6px 12px;font-size:13px;color:#b42318;background:#fef3f2}',
  'form{display:flex;gap:8px;padding:10px;border-top:1px solid #e4e7ec}',
  'input{flex:1;font:inherit;padding:9px 12px;border:1px solid #98a2b3;border-radius:20px}',
  'button{font:inherit;font-weight:600;padding:0 16px;border:0;border-radius:20px;background:#3056d3;color:#fff;cursor:pointer}',
  '.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}',
].join('');
