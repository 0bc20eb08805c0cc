import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Scopes } from '../identity/access.decorators';
import { Scope } from '../identity/scopes';
import { AuditQueryService } from './audit-query.service';
import { AuditEventPageDto, AuditEventsQueryDto } from './audit.dto';

@ApiTags('admin: audit')
@Scopes(Scope.AuditRead)
@Controller({ path: 'admin/audit-events', version: '1' })
export class AuditController {
  constructor(private readonly audit: AuditQueryService) {}

  /** Who changed what, newest first; `Accept: text/csv` or `?format=csv` streams every match as CSV. */
  @Get()
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({
    type: AuditEventPageDto,
    description: 'A page of events ({items, nextCursor}) or, as CSV, all of them.',
  })
  async listAuditEvents(
    @Query() query: AuditEventsQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (query.format === 'csv' || (query.format === undefined && accept?.includes('text/csv'))) {
      await reply
        .header('Content-Type', 'text/csv; charset=utf-8')
        .header('Content-Disposition', 'attachment; filename="audit-events.csv"')
        .send(this.audit.streamAuditEventsCsv(query));
      return;
    }
    await reply.send(await this.audit.listAuditEvents(query));
  }
}
