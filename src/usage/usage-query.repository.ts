import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { UsageEvent } from './usage-event';
import { GroupField } from './usage.dto';

const GROUP_COLUMNS: Record<GroupField, string> = {
  principal: 'principal_id',
  model: 'model',
  version: 'model_version',
  status: 'status',
  protocol: 'protocol',
};

export interface AggregateRow {
  bucket: Date;
  principal_id?: string;
  model?: string;
  model_version?: string;
  status?: number;
  protocol?: string;
  requests: string;
  errors: string;
  latency_sum_ms: number;
  histogram: number[];
}

export interface EventFilter {
  from: Date;
  to: Date;
  principalId?: string;
  model?: string;
  /** Only models matching one of these allow-list patterns (a restricted admin's); undefined: every row. */
  models?: readonly string[];
}

/** Allow-list globs as SQL LIKE patterns (`*` any run, `?` one character; `_`, `%` and `\` escaped). */
function likePatterns(models: readonly string[]): string[] {
  return models.map((pattern) =>
    pattern
      .replace(/[\\%_]/g, '\\$&')
      .replace(/\*/g, '%')
      .replace(/\?/g, '_'),
  );
}

/** Whether a caller's allow-list restricts which usage rows it may read. */
export function restrictedModels(models: readonly string[]): readonly string[] | undefined {
  return models.includes('*') ? undefined : models;
}

export interface EventPosition {
  occurredAt: string;
  principalId: string;
  requestId: string;
}

/** Reads usage: aggregates from the hourly rollups, raw events from the partitioned table. */
@Injectable()
export class UsageQueryRepository {
  constructor(private readonly dataSource: DataSource) {}

  aggregate(
    from: Date,
    to: Date,
    granularity: 'hour' | 'day',
    groupBy: GroupField[],
    principalId?: string,
    models?: readonly string[],
    only: { model?: string; version?: string } = {},
  ): Promise<AggregateRow[]> {
    const parameters: unknown[] = [from, to];
    const conditions: string[] = [];
    if (principalId) conditions.push(` AND principal_id = $${parameters.push(principalId)}`);
    if (only.model) conditions.push(` AND model = $${parameters.push(only.model)}`);
    if (only.version) conditions.push(` AND model_version = $${parameters.push(only.version)}`);
    if (models) conditions.push(` AND model LIKE ANY ($${parameters.push(likePatterns(models))}::text[])`);
    const columns = groupBy.map((field) => GROUP_COLUMNS[field]);
    const keys = ['b', ...columns].join(', ');
    const select = columns.map((column) => `${column}`).join(', ');
    const sql = `
      WITH base AS (
        SELECT date_trunc('${granularity}', bucket) AS b, ${select ? `${select},` : ''} requests, errors, latency_sum_ms, latency_histogram
        FROM usage_rollups_hourly
        WHERE bucket >= date_trunc('hour', $1::timestamptz) AND bucket < $2 ${conditions.join('')}
      ),
      totals AS (
        SELECT ${keys}, sum(requests) AS requests, sum(errors) AS errors, sum(latency_sum_ms) AS latency_sum_ms
        FROM base GROUP BY ${keys}
      ),
      cells AS (
        SELECT ${keys}, h.i, sum(h.v) AS v
        FROM base, unnest(latency_histogram) WITH ORDINALITY AS h(v, i)
        GROUP BY ${keys}, h.i
      ),
      histograms AS (
        SELECT ${keys}, array_agg(v ORDER BY i) AS histogram FROM cells GROUP BY ${keys}
      )
      SELECT totals.b AS bucket, ${columns.map((column) => `totals.${column}`).join(', ')}${columns.length ? ',' : ''}
             totals.requests, totals.errors, totals.latency_sum_ms, histograms.histogram
      FROM totals JOIN histograms USING (${keys})
      ORDER BY ${['totals.b', ...columns.map((column) => `totals.${column}`)].join(', ')}`;
    return this.dataSource.query<AggregateRow[]>(sql, parameters);
  }

  /** Events in (occurred_at, principal_id, request_id) order after `after`, at most `limit`. */
  async events(filter: EventFilter, limit: number, after?: EventPosition): Promise<UsageEvent[]> {
    const conditions = ['occurred_at >= $1', 'occurred_at < $2'];
    const parameters: unknown[] = [filter.from, filter.to];
    if (filter.principalId) conditions.push(`principal_id = $${parameters.push(filter.principalId)}`);
    if (filter.model) conditions.push(`model = $${parameters.push(filter.model)}`);
    if (filter.models) conditions.push(`model LIKE ANY ($${parameters.push(likePatterns(filter.models))}::text[])`);
    if (after) {
      const a = parameters.push(after.occurredAt);
      const b = parameters.push(after.principalId);
      const c = parameters.push(after.requestId);
      conditions.push(`(occurred_at, principal_id, request_id) > ($${a}::timestamptz, $${b}, $${c})`);
    }
    const rows = await this.dataSource.query<Record<string, unknown>[]>(
      `SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "occurredAt", request_id AS "requestId",
              principal_type AS "principalType", principal_id AS "principalId", api_version AS "apiVersion", protocol, method, route, model,
              model_version AS "modelVersion", status, error_code AS "errorCode", latency_ms AS "latencyMs", queue_ms AS "queueMs",
              infer_ms AS "inferMs", request_bytes AS "requestBytes", response_bytes AS "responseBytes", batch_items AS "batchItems"
       FROM usage_events WHERE ${conditions.join(' AND ')}
       ORDER BY occurred_at, principal_id, request_id LIMIT ${limit}`,
      parameters,
    );
    return rows as unknown as UsageEvent[];
  }

  /** Requests, errors and exact p95 latency per model version over [from, to): the live view's second. */
  async liveWindow(from: Date, to: Date): Promise<LiveRow[]> {
    const rows = await this.dataSource.query<
      { model: string; version: string | null; requests: number; errors: number; p95: number | null }[]
    >(
      `SELECT model, model_version AS version, count(*)::int AS requests,
              (count(*) FILTER (WHERE status >= 400))::int AS errors,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95
       FROM usage_events WHERE occurred_at >= $1 AND occurred_at < $2 AND model IS NOT NULL
       GROUP BY model, model_version ORDER BY model, model_version`,
      [from, to],
    );
    return rows.map((row) => ({
      model: row.model,
      version: row.version,
      requests: row.requests,
      errors: row.errors,
      p95LatencyMs: row.p95 === null ? null : Math.round(Number(row.p95) * 100) / 100,
    }));
  }
}

export interface LiveRow {
  model: string;
  version: string | null;
  requests: number;
  errors: number;
  p95LatencyMs: number | null;
}
