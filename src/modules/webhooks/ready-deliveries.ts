import type { ClaimedDelivery, InFlight } from './delivery-claims.ts';

export type Caps = { perEndpoint: number; perTenant: number };

/**
 * Deliveries claimed ahead of a free slot. The worker claims while attempts are still in flight,
 * so that a slot freed is filled at once rather than after a round trip to the database; what
 * waits here starts the tenant with least in flight first, in the order it was claimed within a
 * tenant, and never past an endpoint's or a tenant's cap.
 */
export class ReadyDeliveries {
  private waiting: ClaimedDelivery[] = [];

  get size(): number {
    return this.waiting.length;
  }

  add(deliveries: ClaimedDelivery[]): void {
    this.waiting.push(...deliveries);
  }

  /** Removes and answers the delivery that may start next, or undefined when none may. */
  next(inFlight: InFlight, caps: Caps): ClaimedDelivery | undefined {
    let best = -1;
    let bestTenantLoad = Infinity;
    for (let index = 0; index < this.waiting.length; index++) {
      const { endpointId, tenantId } = this.waiting[index]!;
      const tenantLoad = inFlight.tenants.get(tenantId) ?? 0;
      if (tenantLoad >= caps.perTenant || (inFlight.endpoints.get(endpointId) ?? 0) >= caps.perEndpoint) continue;
      if (tenantLoad < bestTenantLoad) {
        best = index;
        bestTenantLoad = tenantLoad;
        if (tenantLoad === 0) break;
      }
    }
    return best < 0 ? undefined : this.waiting.splice(best, 1)[0];
  }

  /** Everything still waiting, for the claims to be handed back. */
  takeAll(): ClaimedDelivery[] {
    const all = this.waiting;
    this.waiting = [];
    return all;
  }

  /** Claimed but not started, per endpoint and per tenant. */
  counts(): { endpoints: Map<string, number>; tenants: Map<string, number> } {
    const endpoints = new Map<string, number>();
    const tenants = new Map<string, number>();
    for (const { endpointId, tenantId } of this.waiting) {
      endpoints.set(endpointId, (endpoints.get(endpointId) ?? 0) + 1);
      tenants.set(tenantId, (tenants.get(tenantId) ?? 0) + 1);
    }
    return { endpoints, tenants };
  }
}
