import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AdvisoryLock, withAdvisoryLock } from '../database/advisory-lock';
import { pgPool } from '../database/pg-pool';
import { BUCKETS } from './latency-histogram';
import { USAGE_ROW_FIELDS } from './usage-event';

/** Per field of a usage row: its column, type, and the value of events written before the field existed. */
const COLUMN_OF: Record<(typeof USAGE_ROW_FIELDS)[number], [string, string, string?]> = {
  occurredAt: ['occurred_at', 'timestamptz'],
  requestId: ['request_id', 'varchar'],
  principalType: ['principal_type', 'varchar'],
  principalId: ['principal_id', 'varchar'],
  apiVersion: ['api_version', 'varchar'],
  protocol: ['protocol', 'varchar', `'http'`],
  method: ['method', 'varchar'],
  route: ['route', 'varchar'],
  model: ['model', 'varchar'],
  modelVersion: ['model_version', 'varchar'],
  status: ['status', 'smallint'],
  errorCode: ['error_code', 'varchar'],
  latencyMs: ['latency_ms', 'real'],
  queueMs: ['queue_ms', 'real'],
  inferMs: ['infer_ms', 'real'],
  requestBytes: ['request_bytes', 'integer'],
  responseBytes: ['response_bytes', 'integer'],
  batchItems: ['batch_items', 'integer'],
};

/** Field, column, type and default, in the order of a usage row. */
const COLUMNS = USAGE_ROW_FIELDS.map((field) => [field, ...COLUMN_OF[field]] as const);

/**
 * One statement writes a batch. Request ids a client chose claim a row in the ledger first (a retry
 * with the same id, within the dedupe window, claims nothing and is dropped); ids the server made are
 * new by construction and skip it (about a third of the statement's cost). The events are inserted
 * unless already there (time, principal and request id: a replay of a batch whose commit was not
 * acknowledged inserts nothing; `skipWritten`, left out for events never sent before), and the hourly
 * rollups are upserted from exactly the inserted rows (counted per latency bucket first, so building a
 * rollup's histogram costs its buckets, not its rows). The batch travels as one JSON array of usage
 * rows (usage-event.ts: the values in COLUMNS order and the client-id flag, serialized once when the
 * event was recorded, the journal's lines as they are; half the text of objects with field names, and
 * PostgreSQL reads jsonb arrays by position faster than json_to_recordset matches names), so a batch is
 * one round trip whatever its size.
 */
const insertBatchSql = (skipWritten: boolean) => `
WITH incoming AS (
  SELECT ${COLUMNS.map(([, column, type, before], index) => (before ? `coalesce((e->>${index})::${type}, ${before})` : `(e->>${index})::${type}`) + ` AS ${column}`).join(', ')},
         coalesce((e->>${COLUMNS.length})::boolean, true) AS request_id_from_client
  FROM jsonb_array_elements($1::jsonb) AS e
),
client_chosen AS (
  SELECT DISTINCT ON (principal_id, request_id) * FROM incoming WHERE request_id_from_client
),
claimed AS (
  INSERT INTO usage_request_ids (principal_id, request_id, first_seen)
  SELECT principal_id, request_id, occurred_at FROM client_chosen
  ON CONFLICT DO NOTHING
  RETURNING principal_id, request_id
),
fresh AS (
  SELECT * FROM incoming WHERE NOT request_id_from_client
  UNION ALL
  SELECT client_chosen.* FROM client_chosen JOIN claimed USING (principal_id, request_id)
),
inserted AS (
  INSERT INTO usage_events (${COLUMNS.map((column) => column[1]).join(', ')})
  SELECT ${COLUMNS.map((column) => column[1]).join(', ')} FROM fresh
  ${skipWritten ? 'ON CONFLICT DO NOTHING' : ''}
  RETURNING occurred_at, principal_type, principal_id, model, model_version, status, protocol, latency_ms
),
per_bucket AS (
  SELECT date_trunc('hour', occurred_at) AS bucket, principal_type, principal_id,
         coalesce(model, '') AS model, coalesce(model_version, '') AS model_version, status, protocol,
         ${bucketSql('latency_ms')} AS latency_bucket, count(*) AS requests, sum(latency_ms) AS latency_sum_ms
  FROM inserted
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
),
hist AS (
  SELECT bucket, principal_type, principal_id, model, model_version, status, protocol,
         sum(requests)::bigint AS requests, CASE WHEN status >= 400 THEN sum(requests)::bigint ELSE 0 END AS errors,
         sum(latency_sum_ms) AS latency_sum_ms,
         array_agg(latency_bucket) AS buckets, array_agg(requests) AS counts
  FROM per_bucket
  GROUP BY 1, 2, 3, 4, 5, 6, 7
)
INSERT INTO usage_rollups_hourly AS r
  (bucket, principal_type, principal_id, model, model_version, status, protocol, requests, errors, latency_sum_ms, latency_histogram)
SELECT bucket, principal_type, principal_id, model, model_version, status, protocol, requests, errors, latency_sum_ms,
       (SELECT array_agg(coalesce((SELECT c FROM unnest(buckets, counts) AS u(b, c) WHERE b = i), 0)::int ORDER BY i)
        FROM generate_series(0, ${BUCKETS - 1}) i)
FROM hist
ON CONFLICT (bucket, principal_id, model, model_version, status, protocol) DO UPDATE SET
  requests = r.requests + EXCLUDED.requests,
  errors = r.errors + EXCLUDED.errors,
  latency_sum_ms = r.latency_sum_ms + EXCLUDED.latency_sum_ms,
  latency_histogram = (
    SELECT array_agg(a + b ORDER BY i) FROM unnest(r.latency_histogram, EXCLUDED.latency_histogram) WITH ORDINALITY AS t(a, b, i)
  )
RETURNING requests`;

/**
 * Prepared statements (by name: each connection parses and plans them once, where planning cost ~14% of
 * PostgreSQL's time per batch). The second leaves out the conflict check, for events never sent before
 * (an index probe per event, ~18% of the statement's time).
 */
const INSERT_BATCH = { name: 'usage_insert_batch', text: insertBatchSql(true) };
const INSERT_UNWRITTEN_BATCH = { name: 'usage_insert_unwritten_batch', text: insertBatchSql(false) };

/** The bucket index of latencyMs in SQL, matching `bucketOf` in latency-histogram.ts. */
function bucketSql(column: string): string {
  return `LEAST(${BUCKETS - 1}, GREATEST(0, ceil(ln(GREATEST(${column}, 0.1) / 0.1) / ln(1.2) - 1e-9)))::int`;
}

@Injectable()
export class UsageEventsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Writes events (usage rows); those already stored are skipped (a retry after a failed write, a replay of the
   * spool). `unwritten`: the caller knows none was ever sent, and the check is left out.
   */
  async insertBatch(rows: string[], { unwritten = false } = {}): Promise<void> {
    if (rows.length === 0) return;
    await pgPool(this.dataSource).query({
      ...(unwritten ? INSERT_UNWRITTEN_BATCH : INSERT_BATCH),
      values: [`[${rows.join(',')}]`],
    });
  }

  /**
   * Creates the monthly partitions for this month and the next `ahead` months. Instances starting
   * together take turns: concurrent CREATE TABLE IF NOT EXISTS statements can still collide.
   */
  async ensurePartitions(now: Date, ahead = 2): Promise<void> {
    await withAdvisoryLock(this.dataSource, AdvisoryLock.UsagePartitions, async () => {
      for (let offset = 0; offset <= ahead; offset++) {
        const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
        const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
        await this.dataSource.query(
          `CREATE TABLE IF NOT EXISTS "${partitionName(start)}" PARTITION OF usage_events FOR VALUES FROM ('${start.toISOString()}') TO ('${end.toISOString()}')`,
        );
      }
    });
  }

  /** Drops monthly partitions that ended before the retention horizon; prunes the request-id ledger. */
  async enforceRetention(now: Date, retentionDays: number, dedupeWindowHours: number): Promise<string[]> {
    const horizon = new Date(now.getTime() - retentionDays * 86_400_000);
    const partitions = await this.dataSource.query<{ name: string }[]>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname = 'usage_events' AND c.relname ~ '^usage_events_[0-9]{4}_[0-9]{2}$'`,
    );
    const dropped: string[] = [];
    for (const { name } of partitions) {
      const [year, month] = name.slice('usage_events_'.length).split('_').map(Number);
      const end = new Date(Date.UTC(year, month, 1));
      if (end <= horizon) {
        await this.dataSource.query(`DROP TABLE IF EXISTS "${name}"`);
        dropped.push(name);
      }
    }
    await this.dataSource.query(`DELETE FROM usage_request_ids WHERE first_seen < $1`, [
      new Date(now.getTime() - dedupeWindowHours * 3_600_000),
    ]);
    await this.dataSource.query(`DELETE FROM rate_limits WHERE expire IS NOT NULL AND expire < $1`, [
      now.getTime() - 3_600_000,
    ]);
    return dropped;
  }
}

function partitionName(monthStart: Date): string {
  return `usage_events_${monthStart.getUTCFullYear()}_${String(monthStart.getUTCMonth() + 1).padStart(2, '0')}`;
}
