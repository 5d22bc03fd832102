import { setMaxListeners } from 'node:events';
import type { Config } from '../../config.ts';
import type { Outbox } from '../events.ts';
import { countInFlight } from '../../events/in-flight.ts';
import { Wakeable } from '../../events/wakeable.ts';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { Logger } from '../../logger.ts';
import { OutboundError, type OutboundHttp } from '../../outbound/http-client.ts';
import { isSuccess, sendAttempt, type AttemptResult } from './delivery-attempt.ts';
import { claimDue, type ClaimedDelivery } from './delivery-claims.ts';
import { DeliveryRecorder } from './delivery-recorder.ts';
import type { Outcome } from './delivery-outcome.ts';
import { ReadyDeliveries } from './ready-deliveries.ts';
import { inSpan, SpanKind, SpanStatusCode } from '../../tracing/spans.ts';

/** How long a claim outlives its wait for a slot and its request, for signing, recording and a slow database. */
const LEASE_MARGIN_MS = 30_000;
/**
 * Deliveries held, in flight or claimed ahead and waiting for a slot, as a multiple of every cap
 * (the instance's, each endpoint's and each tenant's). A slot freed is then filled at once, while
 * the next claim is on its way, instead of after a round trip to the database. A delivery claimed
 * ahead usually waits for the attempts before it at its endpoint; one that waited so long that
 * less than an attempt and START_MARGIN_MS are left of its lease is handed back instead, so that
 * no attempt outlives its lease and none goes out with endpoint settings older than that.
 * Four times: a claim on a busy embedded database takes tens of milliseconds, in which a fast
 * receiver answers more than every slot's worth; with twice, slots waited for claims.
 */
const CLAIM_AHEAD = 4;
const START_MARGIN_MS = 15_000;
/** At shutdown, attempts in flight get this long to finish before they are cancelled and handed back. */
const SHUTDOWN_GRACE_MS = 2_000;
/**
 * Attempts sent and waiting to be recorded, as a multiple of `concurrency`. Recording goes in
 * batches and a request does not wait for it, so a slow database holds this many back rather
 * than the receivers' slots; past it, claiming waits for the records to catch up.
 */
const UNRECORDED_PER_SLOT = 8;
/**
 * Attempts in flight kept for tenants other than the busiest, as a share of `concurrency`: one
 * tenant's backlog or slow receivers never take every slot, so another tenant's first event
 * starts at once instead of waiting for one of theirs to finish.
 */
const RESERVED_FOR_OTHER_TENANTS = 1 / 8;
/** Retries due sooner than this get a timer; later ones are found by polling, where a second late does not matter. */
const TIMED_RETRY_HORIZON_MS = 60_000;

export type DeliveryWorkerOptions = {
  prisma: PrismaClient;
  outbox: Outbox;
  http: OutboundHttp;
  settings: Config['webhooks'];
  logger: Logger;
  /**
   * Attempts in flight at once in this instance, over all endpoints.
   * @default 64
   */
  concurrency?: number;
  /**
   * How often to look for deliveries nobody woke this instance for: retries scheduled by other
   * instances, and claims of a crashed one whose lease ran out.
   * @default 1000
   */
  pollIntervalMs?: number;
  /**
   * Told of every attempt once recorded, for metrics: `sent`, `retry` (another attempt is
   * scheduled), `failed` (for good) or `endpoint_disabled` (no request made), and its duration.
   */
  observeAttempt?: (outcome: AttemptOutcome, seconds: number) => void;
};

export type AttemptOutcome = 'sent' | 'retry' | 'failed' | 'endpoint_disabled';

/**
 * Delivers webhooks: claims due deliveries (see `claimDue`) and takes each through
 * prepare -> send -> record the attempt -> schedule or finish, several at once, never more than
 * `endpointConcurrency` per endpoint, so that one slow receiver cannot hold up the others.
 */
export class DeliveryWorker extends Wakeable {
  private readonly concurrency: number;
  private readonly recorder: DeliveryRecorder;
  private readonly perTenant: number;
  /** Requests in flight per endpoint and per tenant. */
  private readonly inFlight = { endpoints: new Map<string, number>(), tenants: new Map<string, number>() };
  private sending = 0;
  private readonly ready = new ReadyDeliveries();
  private stopping = false;
  /** Every attempt until it is recorded. */
  private readonly attempts = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly cancel = new AbortController();
  /** Whether the last claim may have left due deliveries behind; an attempt finishing then claims again. */
  private backlog = false;
  /** New deliveries were scheduled since the last claim: they may be another tenant's, so claim whatever the backlog. */
  private scheduled = false;

  constructor(private readonly options: DeliveryWorkerOptions) {
    const logger = options.logger.child({ component: 'delivery-worker' });
    super(options.pollIntervalMs ?? 1000, logger);
    this.concurrency = options.concurrency ?? 64;
    this.perTenant = Math.max(1, this.concurrency - Math.ceil(this.concurrency * RESERVED_FOR_OTHER_TENANTS));
    // Each attempt in flight listens for the shutdown: up to `concurrency` listeners, not a leak.
    setMaxListeners(this.concurrency, this.cancel.signal);
    this.recorder = new DeliveryRecorder(options.prisma, options.outbox, options.settings, logger);
  }

  /** Deliveries were scheduled (or made due again): claim now, even while a backlog waits for room. */
  deliveriesScheduled(): void {
    this.scheduled = true;
    this.wake();
  }

  /** Stops claiming, lets attempts in flight finish for a moment, then cancels and hands back the rest. */
  override async stop(): Promise<void> {
    this.stopping = true;
    await super.stop();
    const notStarted = this.handBack(this.ready.takeAll());
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const grace = setTimeout(() => this.cancel.abort(), SHUTDOWN_GRACE_MS);
    await Promise.all([...this.attempts, notStarted]);
    clearTimeout(grace);
  }

  /** Claims what there is room for; true when more is due and there is still room. */
  protected async work(): Promise<boolean> {
    const held = this.sending + this.ready.size;
    const room = Math.min(this.concurrency * CLAIM_AHEAD - held, this.concurrency * UNRECORDED_PER_SLOT - this.attempts.size - this.ready.size);
    // With plenty held, claiming again for every attempt that finishes would cost more than it gains.
    const worthClaiming = room >= this.concurrency / 4 || held <= this.concurrency;
    if (room <= 0 || (this.backlog && !worthClaiming && !this.scheduled)) {
      this.backlog = true;
      return false;
    }
    this.scheduled = false;
    const now = Date.now();
    const { deliveries, more } = await claimDue(this.options.prisma, {
      limit: room,
      perEndpoint: this.options.settings.endpointConcurrency * CLAIM_AHEAD,
      perTenant: this.perTenant * CLAIM_AHEAD,
      inFlight: this.held(),
      now: new Date(now),
      leaseUntil: new Date(now + this.options.settings.timeoutMs * CLAIM_AHEAD + LEASE_MARGIN_MS),
    });
    this.backlog = more;
    this.ready.add(deliveries);
    this.startReady();
    return more && deliveries.length > 0 && this.sending + this.ready.size < this.concurrency * CLAIM_AHEAD;
  }

  /** Starts what waits for a slot, as long as there are slots and the caps allow; hands back what waited too long. */
  private startReady() {
    if (this.stopping) return;
    const caps = { perEndpoint: this.options.settings.endpointConcurrency, perTenant: this.perTenant };
    const latestStart = Date.now() + this.options.settings.timeoutMs + START_MARGIN_MS;
    const stale: ClaimedDelivery[] = [];
    while (this.sending < this.concurrency) {
      const delivery = this.ready.next(this.inFlight, caps);
      if (!delivery) break;
      if (delivery.leaseUntil.getTime() < latestStart) stale.push(delivery);
      else this.launch(delivery);
    }
    if (stale.length > 0) void this.handBack(stale);
  }

  /** Gives claims back unattempted; a failure leaves them to their lease. */
  private handBack(deliveries: ClaimedDelivery[]): Promise<void> {
    return this.recorder.release(deliveries).catch((error) =>
      this.logger.warn({ err: error, deliveries: deliveries.length }, 'claims not handed back; they come back when their lease runs out'),
    );
  }

  /** In flight and claimed ahead, per endpoint and per tenant. */
  private held() {
    const waiting = this.ready.counts();
    for (const [key, count] of this.inFlight.endpoints) waiting.endpoints.set(key, (waiting.endpoints.get(key) ?? 0) + count);
    for (const [key, count] of this.inFlight.tenants) waiting.tenants.set(key, (waiting.tenants.get(key) ?? 0) + count);
    return waiting;
  }

  private launch(delivery: ClaimedDelivery) {
    const attempt = this.deliver(delivery)
      .catch((error) =>
        this.logger.warn({ err: error, deliveryId: delivery.id }, 'attempt not recorded; the delivery comes back when its lease runs out'),
      )
      .finally(() => {
        this.attempts.delete(attempt);
        if (this.backlog) this.wake();
      });
    this.attempts.add(attempt);
  }

  /**
   * prepare -> send -> record the attempt -> schedule or finish. The endpoint's slot is free once
   * the request is done; the delivery stays leased to this instance until its attempt is recorded.
   */
  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    this.sending++;
    this.trackInFlight(delivery, 1);
    let result: Awaited<ReturnType<DeliveryWorker['send']>> | null;
    try {
      result = delivery.endpoint.isActive ? await this.send(delivery) : null;
    } finally {
      this.sending--;
      this.trackInFlight(delivery, -1);
      this.startReady();
      if (this.backlog) this.wake();
    }
    if (result === 'cancelled') return this.recorder.release([delivery]);
    const outcome = await this.recorder.record(delivery, result);
    if (!outcome) return this.logger.warn({ deliveryId: delivery.id }, 'delivery taken over or deleted while attempted; attempt not recorded');
    const attempt = attemptOutcome(outcome, result);
    this.options.observeAttempt?.(attempt, (result?.durationMs ?? 0) / 1000);
    this.logger.info(
      { tenantId: delivery.tenantId, deliveryId: delivery.id, endpointId: delivery.endpointId, eventType: delivery.eventType, attempt: delivery.attemptCount + 1, outcome: attempt, statusCode: result?.statusCode, durationMs: result?.durationMs, error: result?.error ?? undefined },
      'webhook attempt',
    );
    if (outcome.nextAttemptAt) this.wakeAt(outcome.nextAttemptAt);
  }

  private send(delivery: ClaimedDelivery) {
    const attributes = {
      'tenant.id': delivery.tenantId,
      'webhook.delivery.id': delivery.id,
      'webhook.endpoint.id': delivery.endpointId,
      'webhook.event.type': delivery.eventType,
      'webhook.attempt': delivery.attemptCount + 1,
    };
    return inSpan('webhook.attempt', { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        const result = await sendAttempt(this.options.http, delivery, { timeoutMs: this.options.settings.timeoutMs, signal: this.cancel.signal });
        if (result.statusCode !== null) span.setAttribute('http.response.status_code', result.statusCode);
        if (!isSuccess(result)) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error ?? `HTTP ${result.statusCode}` });
        return result;
      } catch (error) {
        if (error instanceof OutboundError && error.kind === 'aborted') return 'cancelled' as const;
        throw error;
      }
    });
  }

  private wakeAt(at: Date) {
    const delay = at.getTime() - Date.now();
    if (delay > TIMED_RETRY_HORIZON_MS) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.wake();
    }, Math.max(0, delay));
    timer.unref();
    this.timers.add(timer);
  }

  private trackInFlight(delivery: ClaimedDelivery, change: 1 | -1) {
    countInFlight(this.inFlight.endpoints, delivery.endpointId, change);
    countInFlight(this.inFlight.tenants, delivery.tenantId, change);
  }
}

function attemptOutcome(outcome: Outcome, result: AttemptResult | null): AttemptOutcome {
  if (!result) return 'endpoint_disabled';
  if (outcome.status === 'SENT') return 'sent';
  return outcome.status === 'PENDING' ? 'retry' : 'failed';
}
