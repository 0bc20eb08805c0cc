import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transport a metered call came in on (`http`, `grpc`): a column of usage events and a dimension of
 * the hourly rollups (part of their key, so that reports can group by it). Rows written before are HTTP.
 *
 * During a rolling upgrade, instances of the previous version cannot write rollups once this has run
 * (their ON CONFLICT names the old key): their events wait in memory and in their journals, and are
 * written when they retry after the upgrade, or replayed from their journals by the new instances.
 */
export class UsageProtocol1796400000000 implements MigrationInterface {
  name = 'UsageProtocol1796400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "usage_events" ADD COLUMN "protocol" varchar(10) NOT NULL DEFAULT 'http'`);
    await queryRunner.query(
      `ALTER TABLE "usage_rollups_hourly" ADD COLUMN "protocol" varchar(10) NOT NULL DEFAULT 'http'`,
    );
    await queryRunner.query(`ALTER TABLE "usage_rollups_hourly" DROP CONSTRAINT "pk_usage_rollups_hourly"`);
    await queryRunner.query(
      `ALTER TABLE "usage_rollups_hourly" ADD CONSTRAINT "pk_usage_rollups_hourly" PRIMARY KEY ("bucket", "principal_id", "model", "model_version", "status", "protocol")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Rows that differ only by protocol are merged back into one per key.
    await queryRunner.query(`
      CREATE TEMP TABLE merged_rollups AS
      SELECT bucket, principal_type, principal_id, model, model_version, status,
             sum(requests)::bigint AS requests, sum(errors)::bigint AS errors, sum(latency_sum_ms) AS latency_sum_ms,
             (SELECT array_agg(total ORDER BY i) FROM (
                SELECT i, sum(v)::int AS total FROM usage_rollups_hourly u, unnest(u.latency_histogram) WITH ORDINALITY AS h(v, i)
                WHERE u.bucket = r.bucket AND u.principal_id = r.principal_id AND u.model = r.model
                  AND u.model_version = r.model_version AND u.status = r.status
                GROUP BY i) AS cells) AS latency_histogram
      FROM usage_rollups_hourly r
      GROUP BY bucket, principal_type, principal_id, model, model_version, status`);
    await queryRunner.query(`DELETE FROM "usage_rollups_hourly"`);
    await queryRunner.query(`ALTER TABLE "usage_rollups_hourly" DROP CONSTRAINT "pk_usage_rollups_hourly"`);
    await queryRunner.query(`ALTER TABLE "usage_rollups_hourly" DROP COLUMN "protocol"`);
    await queryRunner.query(
      `ALTER TABLE "usage_rollups_hourly" ADD CONSTRAINT "pk_usage_rollups_hourly" PRIMARY KEY ("bucket", "principal_id", "model", "model_version", "status")`,
    );
    await queryRunner.query(`INSERT INTO "usage_rollups_hourly" SELECT * FROM merged_rollups`);
    await queryRunner.query(`DROP TABLE merged_rollups`);
    await queryRunner.query(`ALTER TABLE "usage_events" DROP COLUMN "protocol"`);
  }
}
