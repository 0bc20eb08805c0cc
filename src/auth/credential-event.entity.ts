import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type CredentialEventKind = 'api_key' | 'oauth_client' | 'token' | 'signing_key';

/**
 * An append-only feed of credential changes (revocations, disables, rotations). Every instance polls
 * it and drops what it cached, so a change takes effect everywhere within the poll interval.
 */
@Entity('credential_events')
export class CredentialEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'varchar', length: 20 })
  kind: CredentialEventKind;

  /** The API key id, client id, token jti or signing key id that changed. */
  @Column({ type: 'varchar', length: 200 })
  ref: string;

  @Index('idx_credential_events_created_at')
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
