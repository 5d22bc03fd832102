import type { ServerResponse } from 'node:http';
import { escapeHtml } from '../mail/mailer.ts';

/**
 * A plain page of this server (links from emails): no script, inline style only, forms posting
 * back here. `body` is HTML the caller escaped.
 */
export function sendPage(res: ServerResponse, status: number, title: string, body: string) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
  });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
      `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
  );
}

const STYLE =
  'body{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1d2433}' +
  'label{display:block;margin:1rem 0 .25rem;font-weight:600}input{font:inherit;width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #98a2b3;border-radius:6px}' +
  'button{font:inherit;margin-top:1.5rem;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#3056d3;color:#fff;cursor:pointer}' +
  '.hint{color:#475467;font-size:.9rem}.error{color:#b42318;background:#fef3f2;padding:.75rem;border-radius:6px}';
