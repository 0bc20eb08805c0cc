import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type ChangeEventKind =
  | 'api_key'
  | 'oauth_client'
  | 'token'
  | 'signing_key'
  | 'model_loaded'
  | 'model_unloaded'
  | 'session'
  | 'model_config';

/**
 * An append-only feed of changes every instance must apply: credential changes (revocations, disables,
 * rotations) and ended sessions, which drop what an instance cached, model versions an admin loaded or
 * unloaded, and models whose config.json an admin changed (aliases, traffic splits, shadow, deprecations:
 * `ref` is the model's name), which every instance re-reads. Every instance polls it, so a change takes
 * effect everywhere within the poll interval.
 *
 * The table keeps the name it had when it carried credentials only: renaming it would break the
 * instances of the previous version still running during a rolling upgrade.
 */
@Entity('credential_events')
export class ChangeEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'varchar', length: 20 })
  kind: ChangeEventKind;

  /** The API key id, client id, token jti, signing key id, model version (`name/version`), model or session id that changed. */
  @Column({ type: 'varchar', length: 200 })
  ref: string;

  @Index('idx_credential_events_created_at')
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
