import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log (`audit_events`): one row per admin change, written in the change's transaction.
 * Append-only: a trigger refuses UPDATE and DELETE (and TRUNCATE), whoever connects.
 */
export class Audit1797000000000 implements MigrationInterface {
  name = 'Audit1797000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "audit_events" ("id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "action" character varying(64) NOT NULL, "actor_type" character varying(20) NOT NULL, "actor_id" character varying(200) NOT NULL, "actor_name" character varying(200), "target_type" character varying(40) NOT NULL, "target_id" character varying(200) NOT NULL, "request_id" character varying(128), "ip" character varying(64), "user_agent" character varying(500), "changes" jsonb, CONSTRAINT "pk_audit_events" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_audit_events_action" ON "audit_events" ("action", "created_at")`);
    await queryRunner.query(`CREATE INDEX "idx_audit_events_target" ON "audit_events" ("target_id", "created_at")`);
    await queryRunner.query(`CREATE INDEX "idx_audit_events_actor" ON "audit_events" ("actor_id", "created_at")`);
    await queryRunner.query(`CREATE INDEX "idx_audit_events_created_at_id" ON "audit_events" ("created_at", "id")`);
    await queryRunner.query(
      `CREATE FUNCTION "audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "trg_audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events" FOR EACH ROW EXECUTE FUNCTION "audit_events_append_only"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "trg_audit_events_no_truncate" BEFORE TRUNCATE ON "audit_events" FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_append_only"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "audit_events"`);
    await queryRunner.query(`DROP FUNCTION "audit_events_append_only"()`);
  }
}
