import type { UnitOfWork } from '../../events.ts';
import type { ChannelSession, SessionStatus } from '../../../generated/prisma/client.ts';
import type { AuditEntry, AuditService } from '../../audit/service.ts';
import { toSessionJson, type StatusChangedData } from './messages.ts';

export type AuditActor = Pick<AuditEntry, 'actorType' | 'actorId'>;

export const SYSTEM_ACTOR: AuditActor = { actorType: 'SYSTEM', actorId: null };

/**
 * A session's status lifecycle: PENDING (set up, not verified) -> CONNECTED (credentials checked,
 * or Meta verified the webhook; for the website, allowed origins set) -> DISCONNECTED (by an admin).
 * Every change is written with `session.status_changed` (webhooks and `sessionStatusChanged`);
 * connecting and disconnecting are audited, a return to PENDING is part of the audited update that caused it.
 */
export class SessionStatuses {
  constructor(
    private readonly audit: AuditService,
    private readonly publicUrl: string,
  ) {}

  /** Moves the (locked) session to `next` in the caller's transaction; nothing happens when it is there already. */
  async change(unit: UnitOfWork, session: ChannelSession, next: SessionStatus, actor: AuditActor): Promise<ChannelSession> {
    if (session.status === next) return session;
    const updated = await unit.tx.channelSession.update({ where: { id: session.id }, data: { status: next, statusChangedAt: new Date() } });
    const data = { sessionId: session.id, status: next, previousStatus: session.status };
    const event: StatusChangedData = { ...data, session: toSessionJson(updated, this.publicUrl) };
    await unit.emit(session.tenantId, 'session.status_changed', event);
    if (next !== 'PENDING') {
      const type = next === 'CONNECTED' ? 'SESSION_CONNECTED' : 'SESSION_DISCONNECTED';
      await this.audit.write({ tenantId: session.tenantId, type, ...actor, data: { ...data, name: session.name } }, unit);
    }
    return updated;
  }
}
