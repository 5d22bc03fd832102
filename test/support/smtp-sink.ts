/**
 * A real SMTP server on 127.0.0.1 that accepts every message (no TLS, no authentication) and
 * keeps it, decoded just enough to assert on: envelope, headers, subject and the text of each
 * MIME part (quoted-printable and base64 undone).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { eventually } from './fixtures.ts';

export type ReceivedMail = {
  /** The envelope's MAIL FROM. */
  from: string;
  /** The envelope's RCPT TO addresses. */
  to: string[];
  headers: Map<string, string>;
  subject: string;
  /** The decoded bodies of the text/plain and text/html parts. */
  text: string;
  html: string;
  raw: string;
};

export type SmtpSink = {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  url: string;
  messages: ReceivedMail[];
  /** Messages whose envelope names `address`. */
  to(address: string): ReceivedMail[];
  /** Addresses refused at RCPT TO with a temporary failure (450), while in the set. */
  refused: Set<string>;
  /** Waits until at least `count` messages have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
};

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const refused = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (!refused.has(address.address)) return callback();
      callback(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 450 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        messages.push(parse(Buffer.concat(chunks).toString('utf8'), from, session.envelope.rcptTo.map((rcpt) => rcpt.address)));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refused,
    to: (address) => messages.filter((message) => message.to.includes(address)),
    waitFor: (count, timeoutMs = 5000) =>
      eventually(() => (messages.length >= count ? messages : undefined), timeoutMs, `${count} emails`),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function parse(raw: string, from: string, to: string[]): ReceivedMail {
  const { headers, body } = split(raw);
  const parts = partsOf(headers, body);
  const bodyOf = (type: string) => parts.filter((part) => (part.headers.get('content-type') ?? 'text/plain').startsWith(type)).map(decode).join('\n');
  return { from, to, headers, subject: decodeWords(headers.get('subject') ?? ''), text: bodyOf('text/plain'), html: bodyOf('text/html'), raw };
}

type Part = { headers: Map<string, string>; body: string };

function split(entity: string): Part {
  const end = entity.indexOf('\r\n\r\n');
  const head = end < 0 ? entity : entity.slice(0, end);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: end < 0 ? '' : entity.slice(end + 4) };
}

/** The leaf parts of a (possibly nested) multipart entity. */
function partsOf(headers: Map<string, string>, body: string): Part[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(headers.get('content-type') ?? '')?.[1];
  if (!boundary) return [{ headers, body }];
  return body
    .split(`--${boundary}`)
    .slice(1, -1)
    .flatMap((chunk) => {
      const part = split(chunk.replace(/^\r\n/, ''));
      return partsOf(part.headers, part.body);
    });
}

function decode({ headers, body }: Part): string {
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'base64') return Buffer.from(body, 'base64').toString('utf8');
  if (encoding !== 'quoted-printable') return body;
  const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** RFC 2047 encoded words (`=?UTF-8?Q?...?=`, `=?UTF-8?B?...?=`), as non-ASCII subjects arrive. */
function decodeWords(value: string): string {
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?[^?]+\?([QB])\?([^?]*)\?=/gi, (_match, kind: string, text: string) =>
    kind.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : decode({ headers: new Map([['content-transfer-encoding', 'quoted-printable']]), body: text.replace(/_/g, ' ') }),
  );
}
