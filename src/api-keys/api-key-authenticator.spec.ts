import { describe, expect, it } from 'vitest';
import type { ChangeFeedService } from '../change-feed/change-feed.service';
import { sha256 } from '../common/secrets';
import type { ApiKeyEntity } from './api-key.entity';
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { formatApiKey, newPublicId } from './api-key-format';
import type { ApiKeysRepository } from './api-keys.repository';

function setup() {
  const publicId = newPublicId();
  const previous = formatApiKey('live', publicId).key;
  const { key, prefix } = formatApiKey('live', publicId);
  const entity = {
    id: 'key-1',
    publicId,
    prefix,
    name: 'partner',
    secretHash: sha256(key),
    previousSecretHash: sha256(previous),
    previousExpiresAt: new Date(Date.now() + 60_000),
    scopes: ['models:infer'],
    models: null,
    expiresAt: null,
    revokedAt: null,
  } as unknown as ApiKeyEntity;
  const lookups: string[] = [];
  const repository = {
    findForVerification: (id: string) => {
      lookups.push(id);
      return Promise.resolve(id === publicId ? entity : null);
    },
    touchLastUsed: () => Promise.resolve(),
  } as unknown as ApiKeysRepository;
  const events = { onChange: () => undefined } as unknown as ChangeFeedService;
  const authenticator = () => new ApiKeyAuthenticator(repository, events);
  return { key, previous, publicId, entity, lookups, authenticator: authenticator(), another: authenticator };
}

/** The same key with one character of its secret changed (its checksum then no longer matches). */
function mistyped(key: string): string {
  const at = key.length - 10;
  return `${key.slice(0, at)}${key[at] === 'a' ? 'b' : 'a'}${key.slice(at + 1)}`;
}

describe('ApiKeyAuthenticator', () => {
  it('verifies a key, then answers it from memory', async () => {
    const { key, lookups, authenticator } = setup();
    const first = await authenticator.authenticate(key);
    expect(first).toMatchObject({ type: 'api_key', id: 'key-1' });
    expect(await authenticator.authenticate(key)).toBe(first);
    expect(lookups).toHaveLength(1);
  });

  it('calls a mistyped key malformed, whether its id is in memory or not, and looks nothing up for it', async () => {
    const { key, lookups, authenticator } = setup();
    expect(await authenticator.authenticate(mistyped(key))).toBe('malformed');
    expect(lookups).toHaveLength(0);
    await authenticator.authenticate(key);
    expect(await authenticator.authenticate(mistyped(key))).toBe('malformed');
    expect(lookups).toHaveLength(1);
  });

  it('refuses a well-formed key with another secret as unknown', async () => {
    const { publicId, authenticator } = setup();
    const other = formatApiKey('live', publicId).key;
    expect(await authenticator.authenticate(other)).toBe('unknown');
  });

  it('takes the previous secret during its grace period only, and refuses a revoked key', async () => {
    const { key, previous, entity, authenticator, another } = setup();
    expect(await authenticator.authenticate(previous)).toMatchObject({ id: 'key-1' });
    entity.previousExpiresAt = new Date(Date.now() - 1);
    expect(await another().authenticate(previous)).toBe('unknown');
    entity.revokedAt = new Date();
    expect(await another().authenticate(key)).toBe('revoked');
  });
});
