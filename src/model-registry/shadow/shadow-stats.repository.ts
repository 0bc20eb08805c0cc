import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** One minute's figures for a model's primary and shadow version, as an instance accumulated them. */
export interface ShadowStats {
  minute: Date;
  model: string;
  primaryVersion: number;
  shadowVersion: number;
  requests: number;
  errors: number;
  comparedRows: number;
  agreedRows: number;
  differenceSum: number;
  differenceCount: number;
  primaryHistogram: number[];
  shadowHistogram: number[];
}

export interface ShadowTotals {
  primary_version: number;
  shadow_version: number;
  requests: string;
  errors: string;
  compared_rows: string;
  agreed_rows: string;
  difference_sum: number;
  difference_count: string;
  primary_histogram: number[] | null;
  shadow_histogram: number[] | null;
}

const ADD_ARRAYS = (column: string) =>
  `(SELECT array_agg(a + b ORDER BY i) FROM unnest(s.${column}, EXCLUDED.${column}) WITH ORDINALITY AS t(a, b, i))`;

/** The per-minute shadow aggregates (shadow_stats_minutely): batched upserts and the report's sums. */
@Injectable()
export class ShadowStatsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Adds a batch of minutes' figures in one statement (rows of several instances add up). */
  async add(batch: ShadowStats[]): Promise<void> {
    if (batch.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO shadow_stats_minutely AS s
         (minute, model, primary_version, shadow_version, requests, errors, compared_rows, agreed_rows,
          difference_sum, difference_count, primary_histogram, shadow_histogram)
       SELECT (r->>'minute')::timestamptz, r->>'model', (r->>'primaryVersion')::int, (r->>'shadowVersion')::int,
              (r->>'requests')::bigint, (r->>'errors')::bigint, (r->>'comparedRows')::bigint, (r->>'agreedRows')::bigint,
              (r->>'differenceSum')::float8, (r->>'differenceCount')::bigint,
              ARRAY(SELECT jsonb_array_elements_text(r->'primaryHistogram')::int),
              ARRAY(SELECT jsonb_array_elements_text(r->'shadowHistogram')::int)
       FROM jsonb_array_elements($1::jsonb) AS r
       ON CONFLICT (minute, model, primary_version, shadow_version) DO UPDATE SET
         requests = s.requests + EXCLUDED.requests,
         errors = s.errors + EXCLUDED.errors,
         compared_rows = s.compared_rows + EXCLUDED.compared_rows,
         agreed_rows = s.agreed_rows + EXCLUDED.agreed_rows,
         difference_sum = s.difference_sum + EXCLUDED.difference_sum,
         difference_count = s.difference_count + EXCLUDED.difference_count,
         primary_histogram = ${ADD_ARRAYS('primary_histogram')},
         shadow_histogram = ${ADD_ARRAYS('shadow_histogram')}`,
      [JSON.stringify(batch)],
    );
  }

  /** Sums per primary version of one model's shadow version over [from, to). */
  totals(model: string, shadowVersion: number, from: Date, to: Date): Promise<ShadowTotals[]> {
    return this.dataSource.query<ShadowTotals[]>(
      `WITH base AS (
         SELECT * FROM shadow_stats_minutely
         WHERE model = $1 AND shadow_version = $2 AND minute >= date_trunc('minute', $3::timestamptz) AND minute < $4
       ),
       sums AS (
         SELECT primary_version, shadow_version, sum(requests) AS requests, sum(errors) AS errors,
                sum(compared_rows) AS compared_rows, sum(agreed_rows) AS agreed_rows,
                sum(difference_sum) AS difference_sum, sum(difference_count) AS difference_count
         FROM base GROUP BY primary_version, shadow_version
       ),
       primary_cells AS (
         SELECT primary_version, h.i, sum(h.v)::int AS v FROM base, unnest(primary_histogram) WITH ORDINALITY AS h(v, i)
         GROUP BY primary_version, h.i
       ),
       shadow_cells AS (
         SELECT primary_version, h.i, sum(h.v)::int AS v FROM base, unnest(shadow_histogram) WITH ORDINALITY AS h(v, i)
         GROUP BY primary_version, h.i
       )
       SELECT sums.*,
              (SELECT array_agg(v ORDER BY i) FROM primary_cells p WHERE p.primary_version = sums.primary_version) AS primary_histogram,
              (SELECT array_agg(v ORDER BY i) FROM shadow_cells c WHERE c.primary_version = sums.primary_version) AS shadow_histogram
       FROM sums ORDER BY primary_version`,
      [model, shadowVersion, from, to],
    );
  }

  /** The shadow version of a model with the latest figures in [from, to), when none is configured. */
  async latestShadowVersion(model: string, from: Date, to: Date): Promise<number | undefined> {
    const rows = await this.dataSource.query<{ shadow_version: number }[]>(
      `SELECT shadow_version FROM shadow_stats_minutely WHERE model = $1 AND minute >= date_trunc('minute', $2::timestamptz)
       AND minute < $3 ORDER BY minute DESC LIMIT 1`,
      [model, from, to],
    );
    return rows[0]?.shadow_version;
  }
}
