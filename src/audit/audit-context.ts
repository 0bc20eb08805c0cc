import { AsyncLocalStorage } from 'node:async_hooks';
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

const current = new AsyncLocalStorage<AuditContext>();

/** Runs `work` with `context` as the audit context of every change it makes. */
export function withAuditContext<T>(context: AuditContext, work: () => T): T {
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
