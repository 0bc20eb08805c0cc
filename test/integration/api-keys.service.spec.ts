import { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyAuthenticator } from '../../src/api-keys/api-key-authenticator';
import { ApiKeysModule } from '../../src/api-keys/api-keys.module';
import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { DomainError } from '../../src/common/errors/domain.error';
import { Principal } from '../../src/identity/principal';
import { Scope } from '../../src/identity/scopes';
import { startTestModule } from '../support/test-module';

const admin: Principal = {
  type: 'api_key',
  id: '00000000-0000-4000-8000-000000000001',
  name: 'spec admin',
  scopes: [Scope.KeysManage, Scope.ModelsRead, Scope.ModelsInfer],
  models: ['*'],
};

async function expectDomainError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
}

describe(ApiKeysService.name, () => {
  let module: TestingModule;
  let keys: ApiKeysService;
  let authenticator: ApiKeyAuthenticator;
  let dataSource: DataSource;

  beforeAll(async () => {
    module = await startTestModule([ApiKeysModule]);
    keys = module.get(ApiKeysService);
    authenticator = module.get(ApiKeyAuthenticator);
    dataSource = module.get(DataSource);
  });

  afterAll(async () => {
    await module.close();
  });

  it('should store only the hash of a key and authenticate the plaintext', async () => {
    const created = await keys.createApiKey(admin, { name: 'spec', scopes: [Scope.ModelsRead] });
    const [row] = await dataSource.query<{ secret_hash: string }[]>('SELECT secret_hash FROM api_keys WHERE id = $1', [
      created.id,
    ]);
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.secret_hash).not.toContain(created.key.slice(-38));
    expect(await authenticator.authenticate(created.key)).toMatchObject({ id: created.id, scopes: [Scope.ModelsRead] });
    expect(await authenticator.authenticate(`${created.key.slice(0, -1)}x`)).toBe('malformed');
  });

  it('should keep the old secret for the grace period of a rotation, and refuse a revoked key', async () => {
    const created = await keys.createApiKey(admin, { name: 'rotating', scopes: [Scope.ModelsRead] });
    const rotated = await keys.rotateApiKey(admin, created.id, { gracePeriodSeconds: 60 });
    expect(rotated.key).not.toBe(created.key);
    expect(rotated.previousKeyExpiresAt).not.toBeNull();
    expect(await authenticator.authenticate(created.key)).toMatchObject({ id: created.id });
    expect(await authenticator.authenticate(rotated.key)).toMatchObject({ id: created.id });
    await keys.revokeApiKey(admin, created.id);
    expect(await authenticator.authenticate(rotated.key)).toBe('revoked');
    await expectDomainError(keys.rotateApiKey(admin, created.id, { gracePeriodSeconds: 0 }), 'conflict');
  });

  it('should refuse what the issuer may not grant, and change nothing', async () => {
    const narrow: Principal = { ...admin, scopes: [Scope.KeysManage], models: ['iris'] };
    await expectDomainError(keys.createApiKey(narrow, { name: 'x', scopes: [Scope.ModelsRead] }), 'forbidden');
    const target = await keys.createApiKey(admin, { name: 'target', scopes: [Scope.ModelsRead] });
    await expectDomainError(keys.rotateApiKey(narrow, target.id, undefined), 'forbidden');
    await expectDomainError(keys.updateApiKey(narrow, target.id, { name: 'renamed' }), 'forbidden');
    await expectDomainError(keys.revokeApiKey(narrow, target.id), 'forbidden');
    expect(await keys.getApiKey(target.id)).toMatchObject({ name: 'target', revokedAt: null });
  });

  it('should patch limits and expiry, and clear them with null', async () => {
    const created = await keys.createApiKey(admin, {
      name: 'limited',
      scopes: [Scope.ModelsRead],
      rateLimit: { requestsPerMinute: 10 },
    });
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const patched = await keys.updateApiKey(admin, created.id, { quota: { requestsPerMonth: 100 }, expiresAt });
    expect(patched).toMatchObject({
      rateLimit: { requestsPerMinute: 10 },
      quota: { requestsPerMonth: 100 },
      expiresAt,
    });
    const cleared = await keys.updateApiKey(admin, created.id, { rateLimit: null, expiresAt: undefined });
    expect(cleared.rateLimit).toBeNull();
    await expectDomainError(
      keys.updateApiKey(admin, created.id, { expiresAt: new Date(Date.now() - 1000).toISOString() }),
      'validation_failed',
    );
  });

  it('should answer 404 for ids that are not keys, uuid or not', async () => {
    await expectDomainError(keys.getApiKey('00000000-0000-4000-8000-00000000dead'), 'not_found');
    await expectDomainError(keys.getApiKey('------------------------------------'), 'not_found');
  });
});
