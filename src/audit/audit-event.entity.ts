import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** Who made a change: a credential, a signed-in user, or the platform itself (the CLI, start-up). */
export type AuditActorType = 'api_key' | 'oauth_client' | 'user' | 'system';

/** The before and after of each field a change touched. Never a secret or its hash. */
export type AuditChanges = Record<string, { before?: unknown; after?: unknown }>;

/**
 * The audit log: one row per change made through the admin API, the console or the CLI, appended in
 * the same transaction as the change. Append-only: a trigger (see the migration) refuses UPDATE and
 * DELETE, so a row once written stays as it was.
 */
@Entity('audit_events')
@Index('idx_audit_events_created_at_id', ['createdAt', 'id'])
@Index('idx_audit_events_actor', ['actorId', 'createdAt'])
@Index('idx_audit_events_target', ['targetId', 'createdAt'])
@Index('idx_audit_events_action', ['action', 'createdAt'])
export class AuditEventEntity {
  /** UUIDv7: ordered by time. */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_audit_events' })
  id: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Dotted: `api_key.created`, `model_version.uploaded`, `alias.updated`, ... */
  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ name: 'actor_type', type: 'varchar', length: 20 })
  actorType: AuditActorType;

  @Column({ name: 'actor_id', type: 'varchar', length: 200 })
  actorId: string;

  @Column({ name: 'actor_name', type: 'varchar', length: 200, nullable: true })
  actorName: string | null;

  @Column({ name: 'target_type', type: 'varchar', length: 40 })
  targetType: string;

  @Column({ name: 'target_id', type: 'varchar', length: 200 })
  targetId: string;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 500, nullable: true })
  userAgent: string | null;

  @Column({ type: 'jsonb', nullable: true })
  changes: AuditChanges | null;
}
