import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { uuidV7 } from '../common/request-id';
import { inTransaction } from '../database/transaction';
import { AuditActor, currentAuditContext, SYSTEM_ACTOR } from './audit-context';
import { AuditChanges, AuditEventEntity } from './audit-event.entity';
import { AuditEventsRepository } from './audit-events.repository';

export interface AuditRecord {
  /** Dotted: `api_key.created`, `oauth_client.secret_rotated`, `alias.updated`, ... */
  action: string;
  target: { type: string; id: string };
  /** Before and after of the fields changed. Fields named like secrets are dropped whatever they hold. */
  changes?: AuditChanges;
  /** Who acted, when not the current call's principal (a sign-in, before any session exists). */
  actor?: AuditActor;
}

const SECRET_FIELD = /secret|hash|password|token|^key$|^plaintext$/i;

/**
 * Appends audit events. Changes are made inside `transaction(...)` and recorded there, so a change
 * and its event commit together and a change that fails records nothing. Actor, request id, IP and
 * user agent come from the call's audit context (AuditContextInterceptor; the CLI sets its own).
 */
@Injectable()
export class AuditLog {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: AuditEventsRepository,
  ) {}

  /** Runs `work` in one transaction; the repositories it calls, and `record`, join it. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return inTransaction(this.dataSource, work);
  }

  /** Appends one event, in the current transaction when there is one. */
  async record(record: AuditRecord, manager?: EntityManager): Promise<void> {
    const context = currentAuditContext();
    const actor = record.actor ?? context?.actor ?? SYSTEM_ACTOR;
    const event: Omit<AuditEventEntity, 'createdAt'> = {
      id: uuidV7(),
      action: record.action,
      actorType: actor.type,
      actorId: actor.id.slice(0, 200),
      actorName: actor.name?.slice(0, 200) ?? null,
      targetType: record.target.type,
      targetId: record.target.id.slice(0, 200),
      requestId: context?.requestId ?? null,
      ip: context?.ip?.slice(0, 64) ?? null,
      userAgent: context?.userAgent?.slice(0, 500) ?? null,
      changes: withoutSecrets(record.changes),
    };
    await this.events.insert(event, manager);
  }
}

function withoutSecrets(changes: AuditChanges | undefined): AuditChanges | null {
  if (!changes) return null;
  const kept: AuditChanges = {};
  for (const [field, change] of Object.entries(changes)) {
    if (!SECRET_FIELD.test(field)) kept[field] = change;
  }
  return Object.keys(kept).length > 0 ? kept : null;
}

/** The fields of `after` that differ from `before`, as audit changes. */
export function changesBetween<T extends object>(before: T, after: Partial<T>): AuditChanges {
  const changes: AuditChanges = {};
  for (const field of Object.keys(after) as (keyof T & string)[]) {
    const was = before[field];
    const now = after[field];
    if (JSON.stringify(was) !== JSON.stringify(now)) changes[field] = { before: was ?? null, after: now ?? null };
  }
  return changes;
}
