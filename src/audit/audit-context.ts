import { ScopedStorage } from '../common/scoped-storage';
import { Principal } from '../identity/principal';
import { AuditActorType } from './audit-event.entity';

export interface AuditActor {
  type: AuditActorType;
  id: string;
  name?: string | null;
}

/** Who is making the changes of the current call, and from where: what every audit event records. */
export interface AuditContext {
  actor: AuditActor;
  requestId?: string;
  ip?: string;
  userAgent?: string;
}

const current = new ScopedStorage<AuditContext>();

/** Runs `work` with `context` as the audit context of every change it makes until its promise settles. */
export function withAuditContext<T>(context: AuditContext, work: () => Promise<T>): Promise<T> {
  return current.run(context, work);
}

export function currentAuditContext(): AuditContext | undefined {
  return current.getStore();
}

export function actorOf(principal: Principal): AuditActor {
  return { type: principal.type, id: principal.id, name: principal.name };
}

/** The platform acting on its own behalf (start-up bootstrap, the CLI without a user). */
export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: 'system', name: null };
