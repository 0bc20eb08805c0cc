import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Scopes } from '../identity/access.decorators';
import { Principal } from '../identity/principal';
import { Scope } from '../identity/scopes';
import { restrictedModels } from './usage-query.repository';
import { UsageQueryService } from './usage-query.service';
import { UsageEventsQueryDto, UsageQueryDto, UsageReportDto } from './usage.dto';

@ApiTags('usage')
@Controller({ version: '1' })
export class UsageController {
  constructor(private readonly usage: UsageQueryService) {}

  /** Everyone's usage, bucketed by hour or day, optionally grouped. */
  @Scopes(Scope.UsageAdmin)
  @Get('admin/usage')
  getUsage(@CurrentPrincipal() principal: Principal, @Query() query: UsageQueryDto): Promise<UsageReportDto> {
    return this.usage.getUsage(query, { models: restrictedModels(principal.models) });
  }

  /** Raw usage events, paged; `Accept: text/csv` or `?format=csv` streams them all as CSV. */
  @Scopes(Scope.UsageAdmin)
  @Get('admin/usage/events')
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'A page of events ({items, nextCursor}) or, as CSV, all of them.' })
  async listUsageEvents(
    @CurrentPrincipal() principal: Principal,
    @Query() query: UsageEventsQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const models = restrictedModels(principal.models);
    if (query.format === 'csv' || (query.format === undefined && accept?.includes('text/csv'))) {
      await reply
        .header('Content-Type', 'text/csv; charset=utf-8')
        .header('Content-Disposition', 'attachment; filename="usage-events.csv"')
        .send(this.usage.streamEventsCsv(query, models));
      return;
    }
    await reply.send(await this.usage.listEvents(query, models));
  }

  /** The caller's own usage. */
  @Scopes(Scope.UsageRead)
  @Get('usage')
  getOwnUsage(@CurrentPrincipal() principal: Principal, @Query() query: UsageQueryDto): Promise<UsageReportDto> {
    return this.usage.getUsage(query, { principalId: principal.id });
  }
}
