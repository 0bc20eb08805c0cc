import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { csvCell } from '../common/csv';
import { DomainError } from '../common/errors/domain.error';
import { CommonErrorCode } from '../common/errors/error-codes';
import { CursorPosition, decodePosition, toPage } from '../common/pagination/pagination';
import { AuditEventEntity } from './audit-event.entity';
import { AuditEventsRepository, AuditFilter } from './audit-events.repository';
import { AuditEventDto, AuditEventPageDto, AuditEventsQueryDto } from './audit.dto';

const CSV_PAGE = 1000;
const CSV_HEADER = 'id,at,action,actor_type,actor_id,actor_name,target_type,target_id,request_id,ip,user_agent,changes';

/** Reads the audit log: paged JSON, or every matching event streamed as CSV. */
@Injectable()
export class AuditQueryService {
  constructor(private readonly repository: AuditEventsRepository) {}

  async listAuditEvents(query: AuditEventsQueryDto): Promise<AuditEventPageDto> {
    const rows = await this.repository.list(filterOf(query), query.limit, decodePosition(query.cursor));
    return toPage(rows, query.limit, toAuditEventDto);
  }

  /** Every matching event as CSV, a page at a time so memory stays flat whatever the range. */
  streamAuditEventsCsv(query: AuditEventsQueryDto): Readable {
    const filter = filterOf(query);
    const repository = this.repository;
    let after: CursorPosition | undefined = decodePosition(query.cursor);
    async function* lines(): AsyncGenerator<string> {
      yield `${CSV_HEADER}\n`;
      for (;;) {
        const { rows, positions } = await repository.list(filter, CSV_PAGE, after);
        const page = rows.slice(0, CSV_PAGE);
        if (page.length > 0) yield page.map(csvLine).join('');
        if (rows.length <= CSV_PAGE) return;
        after = positions[CSV_PAGE - 1];
      }
    }
    return Readable.from(lines());
  }
}

function filterOf(query: AuditEventsQueryDto): AuditFilter {
  const from = query.from ? new Date(query.from) : undefined;
  const to = query.to ? new Date(query.to) : undefined;
  if (from && to && from >= to) {
    throw new DomainError(CommonErrorCode.ValidationFailed, '`from` must be before `to`.', {
      errors: [{ field: 'from', message: 'must be before to' }],
    });
  }
  return { from, to, actorId: query.actorId, action: query.action, targetId: query.targetId };
}

export function toAuditEventDto(event: AuditEventEntity): AuditEventDto {
  return {
    id: event.id,
    at: event.createdAt.toISOString(),
    action: event.action,
    actor: { type: event.actorType, id: event.actorId, name: event.actorName },
    target: { type: event.targetType, id: event.targetId },
    requestId: event.requestId,
    ip: event.ip,
    userAgent: event.userAgent,
    ...(event.changes ? { changes: event.changes } : {}),
  };
}

function csvLine(event: AuditEventEntity): string {
  return (
    [
      event.id,
      event.createdAt.toISOString(),
      event.action,
      event.actorType,
      event.actorId,
      event.actorName,
      event.targetType,
      event.targetId,
      event.requestId,
      event.ip,
      event.userAgent,
      event.changes ? JSON.stringify(event.changes) : null,
    ]
      .map(csvCell)
      .join(',') + '\n'
  );
}
