import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A revoked access token, kept until it would have expired anyway. */
@Entity('oauth_revoked_tokens')
export class RevokedTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  jti: string;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  @Index('idx_oauth_revoked_tokens_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @CreateDateColumn({ name: 'revoked_at', type: 'timestamptz' })
  revokedAt: Date;
}
