import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { JWK } from 'jose';

/** An access-token signing key pair. The newest unretired key signs; retired keys verify until their tokens expire. */
@Entity('oauth_signing_keys')
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  @Column({ type: 'varchar', length: 10 })
  alg: string;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk: JWK;

  /** The private half. Never selected unless asked for. */
  @Column({ name: 'private_jwk', type: 'jsonb', select: false })
  privateJwk: JWK;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt: Date | null;
}
