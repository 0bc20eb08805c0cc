import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Shadow traffic's comparison figures (PUT /v1/admin/models/{name}/shadow): one row per minute, model,
 * primary and shadow version, to which every instance adds its batch (ON CONFLICT ... DO UPDATE). A new
 * table only: instances of the previous version, which never write it, run on unchanged.
 */
export class ShadowStats1797200000000 implements MigrationInterface {
  name = 'ShadowStats1797200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "shadow_stats_minutely" ("minute" TIMESTAMP WITH TIME ZONE NOT NULL, "model" character varying(64) NOT NULL, "primary_version" integer NOT NULL, "shadow_version" integer NOT NULL, "requests" bigint NOT NULL DEFAULT '0', "errors" bigint NOT NULL DEFAULT '0', "compared_rows" bigint NOT NULL DEFAULT '0', "agreed_rows" bigint NOT NULL DEFAULT '0', "difference_sum" double precision NOT NULL DEFAULT '0', "difference_count" bigint NOT NULL DEFAULT '0', "primary_histogram" integer array NOT NULL, "shadow_histogram" integer array NOT NULL, CONSTRAINT "pk_shadow_stats_minutely" PRIMARY KEY ("minute", "model", "primary_version", "shadow_version"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "shadow_stats_minutely"`);
  }
}
