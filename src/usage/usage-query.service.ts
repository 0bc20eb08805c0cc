import { csvCell } from '../common/csv';
import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { DomainError } from '../common/errors/domain.error';
import { CommonErrorCode } from '../common/errors/error-codes';
import { decodeCursor, encodeCursor, isMicrosecondTime, Page } from '../common/pagination/pagination';
import { percentileMs } from './latency-histogram';
import { USAGE_ROW_FIELDS, UsageEvent } from './usage-event';
import { AggregateRow, EventFilter, EventPosition, UsageQueryRepository } from './usage-query.repository';
import { GroupField, UsageBucketDto, UsageEventsQueryDto, UsageQueryDto, UsageReportDto } from './usage.dto';

const MAX_RANGE_MS = 366 * 86_400_000;
const CSV_PAGE = 1000;
/** Every field of an event, in the order of its stored rows. */
const CSV_COLUMNS: readonly (keyof UsageEvent)[] = USAGE_ROW_FIELDS;

/** Usage reports (from the hourly rollups) and raw events (paged JSON or streamed CSV). */
@Injectable()
export class UsageQueryService {
  constructor(private readonly repository: UsageQueryRepository) {}

  /**
   * Everyone's usage (`scope` undefined), or one principal's own; `models`: a restricted admin's
   * allow-list, outside which no row is shown.
   */
  async getUsage(
    query: UsageQueryDto,
    scope: { principalId?: string; models?: readonly string[] } = {},
  ): Promise<UsageReportDto> {
    const { from, to } = range(query.from, query.to);
    const groupBy = [...new Set((query.groupBy?.split(',') ?? []) as GroupField[])];
    const rows = await this.repository.aggregate(
      from,
      to,
      query.granularity,
      groupBy,
      scope.principalId,
      scope.models,
      {
        model: query.model,
        version: query.version,
      },
    );
    return { items: rows.map((row) => toBucket(row, groupBy)) };
  }

  async listEvents(query: UsageEventsQueryDto, models?: readonly string[]): Promise<Page<UsageEvent>> {
    const filter = this.filter(query, models);
    const events = await this.repository.events(filter, query.limit + 1, decodePosition(query.cursor));
    const items = events.slice(0, query.limit);
    const last = items.at(-1);
    return { items, nextCursor: events.length > query.limit && last ? encodePosition(last) : null };
  }

  /** Every matching event as CSV, read a page at a time so memory stays flat whatever the range. */
  streamEventsCsv(query: UsageEventsQueryDto, models?: readonly string[]): Readable {
    const filter = this.filter(query, models);
    const repository = this.repository;
    async function* lines(): AsyncGenerator<string> {
      yield `${CSV_COLUMNS.join(',')}\n`;
      let after: EventPosition | undefined;
      for (;;) {
        const page = await repository.events(filter, CSV_PAGE, after);
        if (page.length === 0) return;
        yield page.map((event) => CSV_COLUMNS.map((column) => csvCell(event[column])).join(',')).join('\n') + '\n';
        if (page.length < CSV_PAGE) return;
        after = page[page.length - 1];
      }
    }
    return Readable.from(lines());
  }

  private filter(query: UsageEventsQueryDto, models?: readonly string[]): EventFilter {
    return { ...range(query.from, query.to), principalId: query.principalId, model: query.model, models };
  }
}

function range(fromText?: string, toText?: string): { from: Date; to: Date } {
  const to = toText ? new Date(toText) : new Date();
  const from = fromText ? new Date(fromText) : new Date(to.getTime() - 86_400_000);
  if (from >= to) throw invalidRange('from must be before to.');
  if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw invalidRange('The range may span at most 366 days.');
  return { from, to };
}

function invalidRange(message: string): DomainError {
  return new DomainError(CommonErrorCode.ValidationFailed, message, { errors: [{ field: 'from', message }] });
}

function toBucket(row: AggregateRow, groupBy: GroupField[]): UsageBucketDto {
  const requests = Number(row.requests);
  const bucket: UsageBucketDto = {
    bucket: new Date(row.bucket).toISOString(),
    requests,
    errors: Number(row.errors),
    avgLatencyMs: requests > 0 ? Math.round((row.latency_sum_ms / requests) * 1000) / 1000 : 0,
    p95LatencyMs: percentileMs(row.histogram.map(Number), 0.95),
  };
  if (groupBy.includes('principal')) bucket.principalId = row.principal_id;
  if (groupBy.includes('model')) bucket.model = row.model || null;
  if (groupBy.includes('version')) bucket.version = row.model_version || null;
  if (groupBy.includes('status')) bucket.status = Number(row.status);
  if (groupBy.includes('protocol')) bucket.protocol = row.protocol;
  return bucket;
}

function encodePosition(event: UsageEvent): string {
  return encodeCursor([event.occurredAt, event.principalId, event.requestId]);
}

function decodePosition(cursor?: string): EventPosition | undefined {
  if (!cursor) return undefined;
  const [occurredAt, principalId, requestId] = decodeCursor(cursor, [
    isMicrosecondTime,
    (id) => id.length > 0 && id.length <= 100,
    (id) => id.length > 0 && id.length <= 128,
  ]);
  return { occurredAt, principalId, requestId };
}
