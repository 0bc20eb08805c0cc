import { Injectable } from '@nestjs/common';
import { ChangeFeedService } from '../change-feed/change-feed.service';
import { sha256 } from '../common/secrets';
import { Principal } from '../identity/principal';
import { SessionEntity } from './session.entity';
import { isSessionSecret } from './session-secret';
import { SessionsRepository } from './sessions.repository';

interface CachedSession {
  session: SessionEntity | null;
  fetchedAt: number;
  principal?: Principal;
}

/**
 * How long an instance trusts a session it read without reading it again. Logout reaches every instance
 * through the change feed (within CREDENTIAL_POLL_INTERVAL_MS); this bounds it should an event be missed.
 */
const CACHE_TTL_MS = 10_000;
/** How long an unknown cookie stays known-unknown (garbage cookies do not cost a query each). */
const NEGATIVE_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

export type SessionRejection = 'unknown' | 'ended' | 'expired';

/** Verifies `mg_session` cookies: the session from a short per-instance cache, dropped when a session ends. */
@Injectable()
export class SessionAuthenticator {
  /** By token hash. */
  private readonly cache = new Map<string, CachedSession>();

  constructor(
    private readonly repository: SessionsRepository,
    events: ChangeFeedService,
  ) {
    events.onChange((kind, ref) => {
      if (kind !== 'session') return;
      for (const [hash, cached] of this.cache) if (cached.session?.id === ref) this.cache.delete(hash);
    });
  }

  async authenticate(secret: string): Promise<Principal | SessionRejection> {
    const found = await this.lookup(secret);
    const session = found.session;
    if (!session) return 'unknown';
    if (session.endedAt) return 'ended';
    if (session.expiresAt.getTime() <= Date.now()) return 'expired';
    found.principal ??= principalOf(session);
    return found.principal;
  }

  /** The running session of a cookie, or undefined (unknown, ended, expired). */
  async session(secret: string): Promise<SessionEntity | undefined> {
    const result = await this.authenticate(secret);
    if (typeof result === 'string') return undefined;
    return (await this.lookup(secret)).session ?? undefined;
  }

  /** Forgets a session at once on this instance (the change feed tells the others). */
  forget(id: string): void {
    for (const [hash, cached] of this.cache) if (cached.session?.id === id) this.cache.delete(hash);
  }

  private async lookup(secret: string): Promise<CachedSession> {
    if (!isSessionSecret(secret)) return { session: null, fetchedAt: Date.now() };
    const hash = sha256(secret);
    const cached = this.cache.get(hash);
    const now = Date.now();
    if (cached && now - cached.fetchedAt < (cached.session ? CACHE_TTL_MS : NEGATIVE_TTL_MS)) return cached;
    const fresh: CachedSession = { session: await this.repository.findByTokenHash(hash), fetchedAt: now };
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(hash, fresh);
    return fresh;
  }
}

/** A session acts with its scopes on every model, with the platform's default limits (as an admin key does). */
export function principalOf(session: SessionEntity): Principal {
  return {
    type: 'user',
    id: session.userId,
    name: session.userName,
    email: session.userEmail ?? undefined,
    sessionId: session.id,
    scopes: session.scopes,
    models: ['*'],
    rateLimit: null,
    quota: null,
  };
}
