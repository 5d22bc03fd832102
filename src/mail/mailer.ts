import type { Transporter } from 'nodemailer';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

/** Bounds on one SMTP exchange, so that a dead mail server cannot pile up sends. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

export type Mail = { to: string; subject: string; text: string; html: string };

/**
 * Sends email through SMTP_URL in the background: a failure is logged and never reaches the
 * request that caused it. Without SMTP_URL nothing is sent and `enabled` is false.
 * `stop` waits for sends in flight, up to a cap.
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
    if (!this.transport) {
      this.logger.info(context, `email not sent, SMTP_URL is not set: ${mail.subject}`);
      return;
    }
    const sending = this.transport.then((transport) => transport.sendMail({ from: this.mail.from, ...mail })).then(
      () => this.logger.info(context, 'email sent'),
      (error: unknown) => this.logger.warn({ ...context, err: error }, 'email could not be sent'),
    );
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
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
