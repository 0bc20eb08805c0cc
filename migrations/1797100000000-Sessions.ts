import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admin sign-in (SSO): the sessions (the cookie's secret as its SHA-256 only) and the sign-ins under way
 * between the redirect to the identity provider and its callback (state and browser as hashes, the PKCE
 * verifier encrypted with a key only the browser's cookie gives). New tables only: instances of the
 * previous version, still running during a rolling upgrade, do not read them.
 */
export class Sessions1797100000000 implements MigrationInterface {
  name = 'Sessions1797100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "token_hash" character varying(64) NOT NULL, "user_id" character varying(100) NOT NULL, "user_name" character varying(200) NOT NULL, "user_email" character varying(320), "scopes" text array NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "ended_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_sessions_token_hash" ON "sessions"  ("token_hash") `);
    await queryRunner.query(`CREATE INDEX "idx_sessions_user_id" ON "sessions"  ("user_id") `);
    await queryRunner.query(`CREATE INDEX "idx_sessions_expires_at" ON "sessions"  ("expires_at") `);
    await queryRunner.query(
      `CREATE TABLE "sso_login_states" ("state_hash" character varying(64) NOT NULL, "browser_hash" character varying(64) NOT NULL, "encrypted_verifier" character varying(200) NOT NULL, "nonce" character varying(64), "return_to" character varying(2048) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_c64107dbffa30e074b1b89e74c9" PRIMARY KEY ("state_hash"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_sso_login_states_expires_at" ON "sso_login_states"  ("expires_at") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_sso_login_states_expires_at"`);
    await queryRunner.query(`DROP TABLE "sso_login_states"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sessions_expires_at"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sessions_user_id"`);
    await queryRunner.query(`DROP INDEX "public"."uq_sessions_token_hash"`);
    await queryRunner.query(`DROP TABLE "sessions"`);
  }
}
