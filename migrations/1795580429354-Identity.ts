import { MigrationInterface, QueryRunner } from 'typeorm';

export class Identity1795580429354 implements MigrationInterface {
  name = 'Identity1795580429354';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(200) NOT NULL, "public_id" character varying(32) NOT NULL, "prefix" character varying(64) NOT NULL, "secret_hash" character varying(64) NOT NULL, "previous_secret_hash" character varying(64), "previous_expires_at" TIMESTAMP WITH TIME ZONE, "scopes" text array NOT NULL, "models" text array NOT NULL DEFAULT '{*}', "rate_limit_rpm" integer, "quota_per_month" bigint, "expires_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "last_used_at" TIMESTAMP WITH TIME ZONE, "created_by" character varying(100) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_keys_public_id" ON "api_keys"  ("public_id") `);
    await queryRunner.query(`CREATE INDEX "idx_api_keys_created_at_id" ON "api_keys"  ("created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE "credential_events" ("id" BIGSERIAL NOT NULL, "kind" character varying(20) NOT NULL, "ref" character varying(200) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_985e6c23fc74dd7ae6df5c5b841" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_credential_events_created_at" ON "credential_events"  ("created_at") `);
    await queryRunner.query(
      `CREATE TABLE "oauth_clients" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "client_id" character varying(64) NOT NULL, "name" character varying(200) NOT NULL, "secret_hash" character varying(64) NOT NULL, "previous_secret_hash" character varying(64), "previous_expires_at" TIMESTAMP WITH TIME ZONE, "scopes" text array NOT NULL, "models" text array NOT NULL DEFAULT '{*}', "rate_limit_rpm" integer, "quota_per_month" bigint, "token_ttl_seconds" integer, "disabled_at" TIMESTAMP WITH TIME ZONE, "deleted_at" TIMESTAMP WITH TIME ZONE, "created_by" character varying(100) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c4759172d3431bae6f04e678e0d" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_oauth_clients_client_id" ON "oauth_clients"  ("client_id") `);
    await queryRunner.query(`CREATE INDEX "idx_oauth_clients_created_at_id" ON "oauth_clients"  ("created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE "oauth_revoked_tokens" ("jti" character varying(64) NOT NULL, "client_id" character varying(64) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_438c2098069d6d80a0d5ca0db2f" PRIMARY KEY ("jti"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_oauth_revoked_tokens_expires_at" ON "oauth_revoked_tokens"  ("expires_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "oauth_signing_keys" ("kid" character varying(64) NOT NULL, "alg" character varying(10) NOT NULL, "public_jwk" jsonb NOT NULL, "private_jwk" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "retired_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_c8e0e251f213a0f7b7bd2563201" PRIMARY KEY ("kid"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "oauth_signing_keys"`);
    await queryRunner.query(`DROP INDEX "public"."idx_oauth_revoked_tokens_expires_at"`);
    await queryRunner.query(`DROP TABLE "oauth_revoked_tokens"`);
    await queryRunner.query(`DROP INDEX "public"."idx_oauth_clients_created_at_id"`);
    await queryRunner.query(`DROP INDEX "public"."uq_oauth_clients_client_id"`);
    await queryRunner.query(`DROP TABLE "oauth_clients"`);
    await queryRunner.query(`DROP INDEX "public"."idx_credential_events_created_at"`);
    await queryRunner.query(`DROP TABLE "credential_events"`);
    await queryRunner.query(`DROP INDEX "public"."idx_api_keys_created_at_id"`);
    await queryRunner.query(`DROP INDEX "public"."uq_api_keys_public_id"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
  }
}
