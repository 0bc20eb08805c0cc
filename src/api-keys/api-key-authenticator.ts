import { limitsOf } from '../identity/limits';
import { Injectable, Logger } from '@nestjs/common';
import { Principal } from '../identity/principal';
import { ChangeFeedService } from '../change-feed/change-feed.service';
import { digestBytesEqual, sha256Bytes } from '../common/secrets';
import { ApiKeyEntity } from './api-key.entity';
import { checksumValid, matchApiKey } from './api-key-format';
import { ApiKeysRepository } from './api-keys.repository';

interface CachedKey {
  key: ApiKeyEntity | null;
  principal?: Principal;
  fetchedAt: number;
  /** The key's secret hashes as bytes, decoded once. */
  secretHash?: Buffer;
  previousSecretHash?: Buffer;
}

/** How long a cached key is trusted without a change event (a backstop; events evict at once). */
const CACHE_TTL_MS = 5 * 60_000;
/** How long an unknown id stays known-unknown (stops garbage keys from costing a query each). */
const NEGATIVE_TTL_MS = 5_000;
const LAST_USED_INTERVAL_MS = 60_000;

export type ApiKeyRejection = 'malformed' | 'unknown' | 'revoked' | 'expired';

/**
 * Verifies presented API keys from an in-memory cache: the database is read once per key (and again
 * after a change event), never per request. `lastUsedAt` is written at most once a minute per key,
 * off the request path.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly logger = new Logger(ApiKeyAuthenticator.name);
  private readonly cache = new Map<string, CachedKey>();
  private readonly lastUsedWrites = new Map<string, number>();

  constructor(
    private readonly repository: ApiKeysRepository,
    events: ChangeFeedService,
  ) {
    events.onChange((kind, ref) => {
      if (kind === 'api_key') this.cache.delete(ref);
    });
  }

  async authenticate(presented: string): Promise<Principal | ApiKeyRejection> {
    const matched = matchApiKey(presented);
    if (!matched) return 'malformed';
    // A key whose id is not in memory must pass its checksum before it costs a lookup; one that is, is
    // checked by its hash alone (the checksum then only tells a mistyped key from an unknown one).
    let cached = this.fresh(matched.publicId);
    if (!cached) {
      if (!checksumValid(matched)) return 'malformed';
      cached = await this.lookup(matched.publicId);
    }
    const key = cached.key;
    if (!key) return 'unknown';
    const now = Date.now();
    const hash = sha256Bytes(presented);
    cached.secretHash ??= Buffer.from(key.secretHash, 'hex');
    const current = digestBytesEqual(hash, cached.secretHash);
    const previous =
      !current &&
      key.previousSecretHash !== null &&
      key.previousExpiresAt !== null &&
      key.previousExpiresAt.getTime() > now &&
      digestBytesEqual(hash, (cached.previousSecretHash ??= Buffer.from(key.previousSecretHash, 'hex')));
    if (!current && !previous) return checksumValid(matched) ? 'unknown' : 'malformed';
    if (key.revokedAt) return 'revoked';
    if (key.expiresAt && key.expiresAt.getTime() <= now) return 'expired';
    this.recordUse(key.id, now);
    cached.principal ??= {
      type: 'api_key',
      id: key.id,
      name: key.name,
      scopes: key.scopes,
      models: key.models,
      ...limitsOf(key),
    };
    return cached.principal;
  }

  /** The cached entry for a public id while it may be trusted, else undefined. */
  private fresh(publicId: string): CachedKey | undefined {
    const cached = this.cache.get(publicId);
    if (cached && Date.now() - cached.fetchedAt < (cached.key ? CACHE_TTL_MS : NEGATIVE_TTL_MS)) return cached;
    return undefined;
  }

  private async lookup(publicId: string): Promise<CachedKey> {
    const fresh: CachedKey = { key: await this.repository.findForVerification(publicId), fetchedAt: Date.now() };
    this.cache.set(publicId, fresh);
    return fresh;
  }

  private recordUse(id: string, now: number): void {
    const last = this.lastUsedWrites.get(id) ?? 0;
    if (now - last < LAST_USED_INTERVAL_MS) return;
    this.lastUsedWrites.set(id, now);
    this.repository.touchLastUsed(id, new Date(now)).catch((error: unknown) => {
      this.logger.warn({ err: error, apiKeyId: id }, 'Recording lastUsedAt failed');
    });
  }
}
