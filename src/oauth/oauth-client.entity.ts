import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { nullableNumber } from '../api-keys/api-key.entity';
import { Scope } from '../auth/scopes';

@Entity('oauth_clients')
@Index('idx_oauth_clients_created_at_id', ['createdAt', 'id'])
export class OAuthClientEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The public client identifier (`client_id`), `mgc_...`. */
  @Index('uq_oauth_clients_client_id', { unique: true })
  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** SHA-256 of the client secret. Never selected unless asked for. */
  @Column({ name: 'secret_hash', type: 'varchar', length: 64, select: false })
  secretHash: string;

  @Column({ name: 'previous_secret_hash', type: 'varchar', length: 64, nullable: true, select: false })
  previousSecretHash: string | null;

  @Column({ name: 'previous_expires_at', type: 'timestamptz', nullable: true })
  previousExpiresAt: Date | null;

  @Column({ type: 'text', array: true })
  scopes: Scope[];

  @Column({ type: 'text', array: true, default: () => "'{*}'" })
  models: string[];

  @Column({ name: 'rate_limit_rpm', type: 'integer', nullable: true })
  rateLimitRpm: number | null;

  @Column({ name: 'quota_per_month', type: 'bigint', nullable: true, transformer: nullableNumber() })
  quotaPerMonth: number | null;

  /** Access-token lifetime for this client; null uses OAUTH_TOKEN_TTL_SECONDS. */
  @Column({ name: 'token_ttl_seconds', type: 'integer', nullable: true })
  tokenTtlSeconds: number | null;

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt: Date | null;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @Column({ name: 'created_by', type: 'varchar', length: 100 })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
