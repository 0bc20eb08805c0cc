import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Scope } from '../identity/scopes';

/**
 * An admin's sign-in (docs/API.md, "Admin sign-in (SSO) and the console"): who signed in and with which
 * scopes, until when. The cookie's secret is stored as its SHA-256 only; the CSRF token is derived from
 * the secret (sessions/session-secret.ts), so nothing here lets a reader of the table act as the user.
 */
@Entity('sessions')
@Index('idx_sessions_expires_at', ['expiresAt'])
export class SessionEntity {
  /** The session's public id: audit events, the change feed and logs name it, never the secret. */
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** SHA-256 (hex) of the `mg_session` cookie's value. */
  @Index('uq_sessions_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64, select: false })
  tokenHash: string;

  /** The provider's subject (`sub`): the principal id of the session's calls. */
  @Index('idx_sessions_user_id')
  @Column({ name: 'user_id', type: 'varchar', length: 100 })
  userId: string;

  @Column({ name: 'user_name', type: 'varchar', length: 200 })
  userName: string;

  @Column({ name: 'user_email', type: 'varchar', length: 320, nullable: true })
  userEmail: string | null;

  /** What the user's groups mapped to at sign-in (SSO_ROLE_SCOPES). */
  @Column({ type: 'text', array: true })
  scopes: Scope[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** Set by logout: the session no longer authenticates, on any instance. */
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt: Date | null;
}
