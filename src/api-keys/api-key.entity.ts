import { Column, Entity, Index } from 'typeorm';
import { CredentialColumns } from '../identity/credential.columns';

@Entity('api_keys')
@Index('idx_api_keys_created_at_id', ['createdAt', 'id'])
export class ApiKeyEntity extends CredentialColumns {
  /** The id part of the key, used for lookup. */
  @Index('uq_api_keys_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'varchar', length: 32 })
  publicId: string;

  /** `mg_<env>_<publicId>`: shown in listings so a key can be recognised. */
  @Column({ type: 'varchar', length: 64 })
  prefix: string;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}
