/**
 * Load of signed WhatsApp Cloud API webhooks for the inbound-messages benchmark: payloads signed
 * before the load (so signing costs the load generator nothing while it measures), each with a
 * distinct message id, from senders cycling through SENDERS contacts; and a ledger of what the
 * server answered to each, so that what it stored can be checked against what it accepted.
 */
import autocannon from 'autocannon';
import { hubSignature, whatsappText } from '../../test/support/channel-fixtures.ts';
import { CONNECTIONS } from './load.ts';

/** Few enough that messages reuse conversations at a few dozen per second, enough that one contact is rarely in flight twice. */
export const SENDERS = Number(process.env.BENCH_INBOUND_SENDERS ?? 200);
/** Redeliveries in flight at once after a load run. */
const REDELIVERY_CONCURRENCY = 8;

export const benchMessageId = (index: number) => `wamid.HBgLBENCH${String(index).padStart(10, '0')}`;
export const benchSender = (index: number) => `1555${String(index % SENDERS).padStart(7, '0')}`;

type Signed = { body: Buffer; signature: string };

/** Payload i carries message benchMessageId(i) from benchSender(i); the first `size` are signed up front. */
export class SignedPayloads {
  private readonly pool: Signed[] = [];

  constructor(
    private readonly appSecret: string,
    private readonly phoneNumberId: string,
    readonly size: number,
  ) {
    for (let index = 0; index < size; index++) this.pool.push(this.build(index));
  }

  /** Payload `index`; past the pool it is built on the spot, inside the measurement. */
  get(index: number): Signed {
    return this.pool[index] ?? this.build(index);
  }

  private build(index: number): Signed {
    const from = benchSender(index);
    const payload = whatsappText(this.phoneNumberId, [{ id: benchMessageId(index), from, name: `Contact ${from}`, text: `Bench message ${index}` }]);
    const body = Buffer.from(JSON.stringify(payload));
    return { body, signature: hubSignature(this.appSecret, body) };
  }
}

/** Which payloads went out and the last status each was answered with. */
export class DeliveryLedger {
  /** Payloads [0, issued) were handed to the load generator. */
  issued = 0;
  redelivered = 0;
  private readonly statuses = new Map<number, number>();
  /** When each payload was first answered 2xx (performance.now()). */
  readonly acknowledgedAt = new Map<number, number>();

  /**
   * @param cycle reuse payloads modulo the pool (for a server that stores nothing); otherwise
   * every request is a new payload, so a server that stores messages stores one per request.
   */
  constructor(
    private readonly payloads: SignedPayloads,
    readonly cycle = false,
  ) {}

  next(): number {
    return this.issued++;
  }

  payload(index: number): Signed {
    return this.payloads.get(this.cycle ? index % this.payloads.size : index);
  }

  answer(index: number, status: number): void {
    if (isOk(this.statuses.get(index))) return;
    this.statuses.set(index, status);
    if (isOk(status)) this.acknowledgedAt.set(index, performance.now());
  }

  /** Issued payloads with no answer yet: in flight when the load generator stopped, or on a connection it dropped. */
  unanswered(): number[] {
    const indices: number[] = [];
    for (let index = 0; index < this.issued; index++) if (!this.statuses.has(index)) indices.push(index);
    return indices;
  }

  /** The payloads answered 2xx. */
  accepted(): number[] {
    return [...this.statuses].filter(([, status]) => isOk(status)).map(([index]) => index);
  }

  /** Payloads answered with something other than 2xx, by status. */
  refused(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const status of this.statuses.values()) if (!isOk(status)) counts[status] = (counts[status] ?? 0) + 1;
    return counts;
  }
}

const isOk = (status: number | undefined) => status !== undefined && status >= 200 && status < 300;

/**
 * POSTs a new payload on each request, at CONNECTIONS keep-alive connections for `seconds`: as
 * fast as the server answers, or at `ratePerSecond` requests a second over all connections.
 */
export function signedLoad(url: string, ledger: DeliveryLedger, seconds: number, ratePerSecond?: number): Promise<autocannon.Result> {
  return autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    ...(ratePerSecond ? { overallRate: ratePerSecond } : {}),
    requests: [
      {
        // autocannon gives every request a fresh context and answers with the same one (pipelining 1).
        setupRequest: (request, context) => {
          const index = ledger.next();
          const { body, signature } = ledger.payload(index);
          (context as { index: number }).index = index;
          request.body = body;
          // A copy of the options' headers, made for this request.
          request.headers!['x-hub-signature-256'] = signature;
          return request;
        },
        onResponse: (status, _body, context) => ledger.answer((context as { index: number }).index, status),
      },
    ],
  });
}

/**
 * Sends every unanswered payload again, as Meta redelivers a webhook that got no answer: the
 * server may have stored it, and must then answer 2xx without storing it twice.
 */
export async function redeliverUnanswered(url: string, ledger: DeliveryLedger): Promise<void> {
  const pending = ledger.unanswered();
  ledger.redelivered += pending.length;
  await Promise.all(Array.from({ length: REDELIVERY_CONCURRENCY }, async () => {
    for (let index = pending.pop(); index !== undefined; index = pending.pop()) {
      const { body, signature } = ledger.payload(index);
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body: new Uint8Array(body) });
      await response.arrayBuffer();
      ledger.answer(index, response.status);
    }
  }));
}
