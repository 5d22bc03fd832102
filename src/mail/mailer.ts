import type { Transporter } from 'nodemailer';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

/** Bounds on one SMTP exchange, so that a dead mail server cannot pile up sends. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

export type Mail = { to: string; subject: string; text: string; html: string };

/**
 * Sends email through SMTP_URL: `send` in the background, where a failure is logged and never
 * reaches the request that caused it, or `deliver` for a job that retries on failure. Without
 * SMTP_URL nothing is sent and `enabled` is false. `stop` waits for sends in flight, up to a cap.
 */
export class Mailer {
  readonly enabled: boolean;
  /** Loaded only when SMTP_URL is set: without it, nodemailer is never imported. */
  private readonly transport: Promise<Transporter> | null;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly mail: Config['mail'],
    private readonly logger: Logger,
  ) {
    const { smtpUrl } = mail;
    this.transport = smtpUrl ? import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport({ url: smtpUrl, ...SMTP_TIMEOUTS })) : null;
    this.enabled = this.transport !== null;
  }

  /** Starts sending and returns at once; `context` goes into the log lines (never the message itself). */
  send(mail: Mail, context: Record<string, unknown>): void {
    const sending = this.deliver(mail, context).catch((error: unknown) => this.logger.warn({ ...context, err: error }, 'email could not be sent'));
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  /** Sends and resolves once the SMTP server took the message; rejects when it did not. */
  async deliver(mail: Mail, context: Record<string, unknown>): Promise<void> {
    if (!this.transport) {
      this.logger.info(context, `email not sent, SMTP_URL is not set: ${mail.subject}`);
      return;
    }
    const transport = await this.transport;
    await transport.sendMail({ from: this.mail.from, ...mail });
    this.logger.info(context, 'email sent');
  }

  async stop(capMs = 5_000): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, capMs);
    });
    await Promise.race([Promise.all(this.inFlight), cap]);
    clearTimeout(timer);
    (await this.transport)?.close();
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
