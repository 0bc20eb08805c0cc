import { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/common/errors/domain.error';
import { Principal } from '../../src/identity/principal';
import { Scope } from '../../src/identity/scopes';
import { ClientAuthenticator } from '../../src/oauth/client-authenticator';
import { OAuthClientsService } from '../../src/oauth/oauth-clients.service';
import { OAuthModule } from '../../src/oauth/oauth.module';
import { TokenService } from '../../src/oauth/token.service';
import { startTestModule } from '../support/test-module';

const admin: Principal = {
  type: 'api_key',
  id: '00000000-0000-4000-8000-000000000002',
  name: 'spec admin',
  scopes: [Scope.ClientsManage, Scope.ModelsRead, Scope.ModelsInfer],
  models: ['*'],
};

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error instanceof DomainError ? error.code : 'not a domain error'),
  );
}

describe(OAuthClientsService.name, () => {
  let module: TestingModule;
  let clients: OAuthClientsService;
  let authenticator: ClientAuthenticator;
  let tokens: TokenService;

  beforeAll(async () => {
    module = await startTestModule([OAuthModule]);
    clients = module.get(OAuthClientsService);
    authenticator = module.get(ClientAuthenticator);
    tokens = module.get(TokenService);
  });

  afterAll(async () => {
    await module.close();
  });

  it('should store the secret hashed, authenticate it, and issue tokens that verify', async () => {
    const created = await clients.createOAuthClient(admin, { name: 'spec', scopes: [Scope.ModelsRead] });
    const [row] = await module
      .get(DataSource)
      .query<{ secret_hash: string }[]>('SELECT secret_hash FROM oauth_clients WHERE client_id = $1', [
        created.clientId,
      ]);
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    const client = await authenticator.authenticate(
      { clientId: created.clientId, clientSecret: created.clientSecret, method: 'client_secret_post' },
      '127.0.0.1',
    );
    const issued = await tokens.issue(client, [Scope.ModelsRead]);
    expect(await tokens.authenticate(issued.access_token)).toMatchObject({
      id: created.clientId,
      scopes: [Scope.ModelsRead],
    });
  });

  it('should rotate the secret with a grace period, and stop the old one after it', async () => {
    const created = await clients.createOAuthClient(admin, { name: 'rotating', scopes: [Scope.ModelsRead] });
    const post = (clientSecret: string) =>
      authenticator.authenticate(
        { clientId: created.clientId, clientSecret, method: 'client_secret_post' },
        '127.0.0.2',
      );
    const rotated = await clients.rotateClientSecret(admin, created.clientId, { gracePeriodSeconds: 60 });
    await expect(post(created.clientSecret)).resolves.toBeDefined();
    await expect(post(rotated.clientSecret)).resolves.toBeDefined();
    const again = await clients.rotateClientSecret(admin, created.clientId, { gracePeriodSeconds: 0 });
    expect(await codeOf(post(rotated.clientSecret))).toBe('invalid_client');
    await expect(post(again.clientSecret)).resolves.toBeDefined();
  });

  it('should stop a disabled or deleted client’s tokens', async () => {
    const created = await clients.createOAuthClient(admin, { name: 'disabled', scopes: [Scope.ModelsRead] });
    const client = await authenticator.authenticate(
      { clientId: created.clientId, clientSecret: created.clientSecret, method: 'client_secret_basic' },
      '127.0.0.3',
    );
    const { access_token: token } = await tokens.issue(client, [Scope.ModelsRead]);
    await clients.updateOAuthClient(admin, created.clientId, { disabled: true });
    expect(await tokens.authenticate(token)).toBeUndefined();
    await clients.updateOAuthClient(admin, created.clientId, { disabled: false });
    expect(await tokens.authenticate(token)).toBeDefined();
    await clients.deleteOAuthClient(admin, created.clientId);
    expect(await tokens.authenticate(token)).toBeUndefined();
    expect(await codeOf(clients.getOAuthClient(created.clientId))).toBe('not_found');
  });

  it('should refuse what the issuer may not grant or hold power over', async () => {
    const narrow: Principal = { ...admin, scopes: [Scope.ClientsManage], models: ['iris'] };
    expect(
      await codeOf(clients.createOAuthClient(narrow, { name: 'x', scopes: [Scope.ModelsRead], models: ['iris'] })),
    ).toBe('forbidden');
    const target = await clients.createOAuthClient(admin, { name: 'target', scopes: [Scope.ModelsRead] });
    expect(await codeOf(clients.rotateClientSecret(narrow, target.clientId, undefined))).toBe('forbidden');
    expect(await codeOf(clients.deleteOAuthClient(narrow, target.clientId))).toBe('forbidden');
    expect(await clients.getOAuthClient(target.clientId)).toMatchObject({ disabled: false });
  });
});
