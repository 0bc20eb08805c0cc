import { Column, Entity, PrimaryColumn } from 'typeorm';

const PK = 'pk_shadow_stats_minutely';

/**
 * Shadow traffic compared, per minute, model, primary and shadow version: every instance adds its
 * figures (one upsert per flush, never one row per request), so a report covers them all.
 */
@Entity('shadow_stats_minutely')
export class ShadowStatsEntity {
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: PK })
  minute: Date;

  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: PK })
  model: string;

  @PrimaryColumn({ name: 'primary_version', type: 'integer', primaryKeyConstraintName: PK })
  primaryVersion: number;

  @PrimaryColumn({ name: 'shadow_version', type: 'integer', primaryKeyConstraintName: PK })
  shadowVersion: number;

  /** Requests mirrored (run on the shadow, successfully or not). */
  @Column({ type: 'bigint', default: 0 })
  requests: string;

  /** Shadow runs that failed (not ready, queue full, an ONNX Runtime error, outputs that do not compare). */
  @Column({ type: 'bigint', default: 0 })
  errors: string;

  /** Rows of a labelled output compared by top class (0 for models without labels). */
  @Column({ name: 'compared_rows', type: 'bigint', default: 0 })
  comparedRows: string;

  @Column({ name: 'agreed_rows', type: 'bigint', default: 0 })
  agreedRows: string;

  /** Sum and count of |primary - shadow| over the numeric output elements compared. */
  @Column({ name: 'difference_sum', type: 'double precision', default: 0 })
  differenceSum: number;

  @Column({ name: 'difference_count', type: 'bigint', default: 0 })
  differenceCount: string;

  /** Latency histograms (latency-histogram.ts buckets) of the primary's and the shadow's runs. */
  @Column({ name: 'primary_histogram', type: 'integer', array: true })
  primaryHistogram: number[];

  @Column({ name: 'shadow_histogram', type: 'integer', array: true })
  shadowHistogram: number[];
}
