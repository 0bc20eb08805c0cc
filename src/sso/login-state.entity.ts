import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A sign-in under way, between `GET /auth/sso/login` and the provider's redirect to the callback: kept
 * server-side (so that the callback may reach any instance, and a replayed one finds nothing: the row is
 * deleted when it is used) and bound to the browser that started it (the `mg_sso_login` cookie). Nothing
 * here is usable without that cookie: `state` and the cookie are stored as hashes, the PKCE verifier is
 * encrypted with a key derived from the cookie.
 */
@Entity('sso_login_states')
@Index('idx_sso_login_states_expires_at', ['expiresAt'])
export class LoginStateEntity {
  /** SHA-256 (hex) of the `state` sent to the provider. */
  @PrimaryColumn({ name: 'state_hash', type: 'varchar', length: 64 })
  stateHash: string;

  /** SHA-256 (hex) of the `mg_sso_login` cookie of the browser that started the sign-in. */
  @Column({ name: 'browser_hash', type: 'varchar', length: 64 })
  browserHash: string;

  /** The PKCE code verifier, AES-256-GCM with a key derived from the browser's cookie (base64url). */
  @Column({ name: 'encrypted_verifier', type: 'varchar', length: 200 })
  encryptedVerifier: string;

  /** The OpenID Connect nonce the ID token must carry; null when `openid` is not requested. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  nonce: string | null;

  /** Where the browser goes once signed in (a same-origin path, checked at login). */
  @Column({ name: 'return_to', type: 'varchar', length: 2048 })
  returnTo: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
