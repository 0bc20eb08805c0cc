import { Column, Entity, Index } from 'typeorm';
import { CredentialColumns } from '../identity/credential.columns';

@Entity('oauth_clients')
@Index('idx_oauth_clients_created_at_id', ['createdAt', 'id'])
export class OAuthClientEntity extends CredentialColumns {
  /** The public client identifier (`client_id`), `mgc_...`. */
  @Index('uq_oauth_clients_client_id', { unique: true })
  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  /** Access-token lifetime for this client; null uses OAUTH_TOKEN_TTL_SECONDS. */
  @Column({ name: 'token_ttl_seconds', type: 'integer', nullable: true })
  tokenTtlSeconds: number | null;

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt: Date | null;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
