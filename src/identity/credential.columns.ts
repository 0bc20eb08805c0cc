import { Column, CreateDateColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Scope } from './scopes';

function nullableNumber() {
  return {
    to: (value: number | null | undefined) => value,
    from: (value: string | null) => (value === null ? null : Number(value)),
  };
}

/**
 * The columns API keys and OAuth clients share: a hashed secret (and the one a rotation replaced),
 * scopes, model allow-list, limits and bookkeeping. Not an entity itself; each credential table
 * extends it.
 */
export abstract class CredentialColumns {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** SHA-256 of the secret. Never selected unless asked for. */
  @Column({ name: 'secret_hash', type: 'varchar', length: 64, select: false })
  secretHash: string;

  /** Hash of the secret a rotation replaced; valid until `previousExpiresAt`. */
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

  /** Who issued it: the id of the admin principal, or `bootstrap` / `cli`. */
  @Column({ name: 'created_by', type: 'varchar', length: 100 })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
