import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Scope } from '../auth/scopes';

@Entity('api_keys')
@Index('idx_api_keys_created_at_id', ['createdAt', 'id'])
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** The id part of the key, used for lookup. */
  @Index('uq_api_keys_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'varchar', length: 32 })
  publicId: string;

  /** `mg_<env>_<publicId>`: shown in listings so a key can be recognised. */
  @Column({ type: 'varchar', length: 64 })
  prefix: string;

  /** SHA-256 of the whole key. Never selected unless asked for. */
  @Column({ name: 'secret_hash', type: 'varchar', length: 64, select: false })
  secretHash: string;

  /** Hash of the key a rotation replaced; valid until `previousExpiresAt`. */
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

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  /** Who issued it: the id of the admin principal, or `bootstrap` / `cli`. */
  @Column({ name: 'created_by', type: 'varchar', length: 100 })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

export function nullableNumber() {
  return {
    to: (value: number | null | undefined) => value,
    from: (value: string | null) => (value === null ? null : Number(value)),
  };
}
