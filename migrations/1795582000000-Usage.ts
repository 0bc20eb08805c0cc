import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage events (declaratively partitioned by month; partitions are created ahead and dropped past the
 * retention by the usage maintenance job), the request-id ledger that keeps retries from being counted
 * twice, hourly rollups the usage queries read, and the rate-limit counters rate-limiter-flexible uses.
 * TypeORM cannot describe partitioned tables, so these tables have no entities: their SQL lives in
 * the usage and rate-limit repositories.
 */
export class Usage1795582000000 implements MigrationInterface {
  name = 'Usage1795582000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "usage_events" (
        "occurred_at" timestamptz NOT NULL,
        "request_id" varchar(128) NOT NULL,
        "principal_type" varchar(20) NOT NULL,
        "principal_id" varchar(100) NOT NULL,
        "api_version" varchar(8) NOT NULL,
        "method" varchar(10) NOT NULL,
        "route" varchar(200) NOT NULL,
        "model" varchar(64),
        "model_version" varchar(20),
        "status" smallint NOT NULL,
        "error_code" varchar(64),
        "latency_ms" real NOT NULL,
        "queue_ms" real,
        "infer_ms" real,
        "request_bytes" integer NOT NULL,
        "response_bytes" integer NOT NULL,
        "batch_items" integer,
        CONSTRAINT "pk_usage_events" PRIMARY KEY ("occurred_at", "principal_id", "request_id")
      ) PARTITION BY RANGE ("occurred_at")`);
    await queryRunner.query(`CREATE TABLE "usage_events_default" PARTITION OF "usage_events" DEFAULT`);
    await queryRunner.query(
      `CREATE INDEX "idx_usage_events_principal_time" ON "usage_events" ("principal_id", "occurred_at")`,
    );
    await queryRunner.query(`CREATE INDEX "idx_usage_events_model_time" ON "usage_events" ("model", "occurred_at")`);
    await queryRunner.query(`
      CREATE TABLE "usage_request_ids" (
        "principal_id" varchar(100) NOT NULL,
        "request_id" varchar(128) NOT NULL,
        "first_seen" timestamptz NOT NULL,
        CONSTRAINT "pk_usage_request_ids" PRIMARY KEY ("principal_id", "request_id")
      )`);
    await queryRunner.query(`CREATE INDEX "idx_usage_request_ids_first_seen" ON "usage_request_ids" ("first_seen")`);
    await queryRunner.query(`
      CREATE TABLE "usage_rollups_hourly" (
        "bucket" timestamptz NOT NULL,
        "principal_type" varchar(20) NOT NULL,
        "principal_id" varchar(100) NOT NULL,
        "model" varchar(64) NOT NULL DEFAULT '',
        "model_version" varchar(20) NOT NULL DEFAULT '',
        "status" smallint NOT NULL,
        "requests" bigint NOT NULL,
        "errors" bigint NOT NULL,
        "latency_sum_ms" double precision NOT NULL,
        "latency_histogram" integer[] NOT NULL,
        CONSTRAINT "pk_usage_rollups_hourly" PRIMARY KEY ("bucket", "principal_id", "model", "model_version", "status")
      )`);
    await queryRunner.query(
      `CREATE INDEX "idx_usage_rollups_principal_bucket" ON "usage_rollups_hourly" ("principal_id", "bucket")`,
    );
    await queryRunner.query(`
      CREATE TABLE "rate_limits" (
        "key" varchar(255) NOT NULL,
        "points" integer NOT NULL DEFAULT 0,
        "expire" bigint,
        CONSTRAINT "pk_rate_limits" PRIMARY KEY ("key")
      )`);
    await queryRunner.query(`CREATE INDEX "idx_rate_limits_expire" ON "rate_limits" ("expire")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "rate_limits"`);
    await queryRunner.query(`DROP TABLE "usage_rollups_hourly"`);
    await queryRunner.query(`DROP TABLE "usage_request_ids"`);
    await queryRunner.query(`DROP TABLE "usage_events"`);
  }
}
