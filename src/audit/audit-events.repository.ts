import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { newestFirstPage } from '../common/pagination/keyset';
import { CursorPosition, KeysetRows } from '../common/pagination/pagination';
import { joined } from '../database/transaction';
import { AuditEventEntity } from './audit-event.entity';

export interface AuditFilter {
  from?: Date;
  to?: Date;
  actorId?: string;
  action?: string;
  targetId?: string;
}

@Injectable()
export class AuditEventsRepository {
  constructor(@InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>) {}

  /** Appends in `manager`'s transaction, else in the current one if any (see database/transaction.ts). */
  async insert(event: Omit<AuditEventEntity, 'createdAt'>, manager?: EntityManager): Promise<void> {
    const events = manager ? manager.getRepository(AuditEventEntity) : joined(this.events);
    await events.insert(event as QueryDeepPartialEntity<AuditEventEntity>);
  }

  /** Newest first, keyset-paged. `action` ending in `.*` matches a prefix (`api_key.*`). */
  list(filter: AuditFilter, limit: number, after?: CursorPosition): Promise<KeysetRows<AuditEventEntity>> {
    const query = this.events.createQueryBuilder('event');
    if (filter.from) query.andWhere('event.created_at >= :from', { from: filter.from });
    if (filter.to) query.andWhere('event.created_at < :to', { to: filter.to });
    if (filter.actorId) query.andWhere('event.actor_id = :actorId', { actorId: filter.actorId });
    if (filter.targetId) query.andWhere('event.target_id = :targetId', { targetId: filter.targetId });
    if (filter.action?.endsWith('.*')) {
      const prefix = filter.action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
      query.andWhere('event.action LIKE :prefix', { prefix: `${prefix}%` });
    } else if (filter.action) {
      query.andWhere('event.action = :action', { action: filter.action });
    }
    return newestFirstPage(query, limit, after);
  }
}
