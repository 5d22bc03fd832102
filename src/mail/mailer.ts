import type { Transporter } from 'nodemailer';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

/** Bounds on one SMTP exchange, so that a dead mail server cannot pile up sends. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

export type Mail = { to: string; subject: string; text: string; html: string };

/**
 * Sends email through SMTP_URL, from the durable jobs that retry a send that failed (see
 * `consumers.ts`). Without SMTP_URL nothing is sent and `enabled` is false.
 */
export class Mailer {
  readonly enabled: boolean;
  /** Loaded only when SMTP_URL is set: without it, nodemailer is never imported. */
  private readonly transport: Promise<Transporter> | null;

  constructor(
    private readonly mail: Config['mail'],
    private readonly logger: Logger,
  ) {
    const { smtpUrl } = mail;
    this.transport = smtpUrl ? import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport({ url: smtpUrl, ...SMTP_TIMEOUTS })) : null;
    this.enabled = this.transport !== null;
  }

  /** Sends and resolves once the SMTP server took the message; rejects when it did not. `context` goes into the log lines, never the message. */
  async deliver(mail: Mail, context: Record<string, unknown>): Promise<void> {
    if (!this.transport) {
      this.logger.info(context, `email not sent, SMTP_URL is not set: ${mail.subject}`);
      return;
    }
    const transport = await this.transport;
    await transport.sendMail({ from: this.mail.from, ...mail });
    this.logger.info(context, 'email sent');
  }

  /** Closes the SMTP connections. Sends in flight belong to jobs, which the consumer worker waits for or hands back first. */
  async stop(): Promise<void> {
    (await this.transport)?.close();
  }

}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
