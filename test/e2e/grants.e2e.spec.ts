import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageRecorder } from '../../src/usage/usage-recorder.service';
import { createAdminKey, issueApiKey, IssuedKey, registerClient } from '../support/credentials';
import { copyModels } from '../support/models';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Governed access at its edges: every admin operation, called by a credential short of a scope it
 * needs, or with a narrower model allow-list than its target, is refused, and nothing it asked for
 * (above all, a new plaintext secret) comes back. The table must name every admin operation in the
 * OpenAPI document: a new one without a row fails here.
 */
describe('Grants', () => {
  let server: TestApp;
  let admin: string;
  /** Callers, by name. */
  const callers: Record<string, IssuedKey> = {};
  /** Targets more powerful than some callers. */
  let powerfulKey: IssuedKey;
  let irisKey: IssuedKey;
  let powerfulClient: { clientId: string; clientSecret: string };
  let irisClient: { clientId: string; clientSecret: string };

  const call = (caller: string, method: string, path: string, body?: unknown, type = 'application/json') =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        'x-api-key': caller === 'admin' ? admin : callers[caller].key,
        ...(body === undefined ? {} : { 'content-type': type }),
      },
      body: body === undefined ? undefined : body instanceof Uint8Array ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    server = await startTestApp({ MODEL_REPOSITORY: copyModels() });
    admin = await createAdminKey(server);
    const issue = (scopes: string[], models?: string[]) =>
      issueApiKey(server, admin, { scopes, ...(models ? { models } : {}) });
    callers.keysOnly = await issue(['keys:manage']);
    callers.clientsOnly = await issue(['clients:manage']);
    callers.narrowKeys = await issue(['keys:manage', 'models:read', 'models:infer'], ['iris']);
    callers.narrowClients = await issue(['clients:manage', 'models:read'], ['iris']);
    callers.narrowModels = await issue(['models:manage', 'models:read'], ['iris']);
    callers.narrowUsage = await issue(['usage:admin'], ['iris']);
    callers.readOnly = await issue(['models:read', 'models:infer', 'usage:read']);
    powerfulKey = await issue(['models:read', 'models:manage']);
    irisKey = await issue(['models:read'], ['iris']);
    powerfulClient = await registerClient(server, admin, { scopes: ['models:manage'] });
    irisClient = await registerClient(server, admin, { scopes: ['models:read'], models: ['iris'] });
  });

  afterAll(async () => {
    await server.close();
  });

  /** What a refused call must not return: any secret, or any sign it was carried out. */
  async function expectRefused(response: Response, status: number, code?: string): Promise<void> {
    const text = await response.text();
    expect(response.status, text).toBe(status);
    expect(text).not.toMatch(/mg_(live|test)_[A-Za-z0-9]{12}_[A-Za-z0-9]{38}|mgs_[A-Za-z0-9]{43}/);
    if (code) expect(JSON.parse(text)).toMatchObject({ code });
  }

  describe('callers short of the operation’s scope (403 insufficient_scope on every admin operation)', () => {
    const rows: [string, string, string, () => unknown][] = [
      ['POST', '/v1/admin/api-keys', 'keys:manage', () => ({ name: 'x', scopes: ['models:read'] })],
      ['GET', '/v1/admin/api-keys', 'keys:manage', () => undefined],
      ['GET', '/v1/admin/api-keys/{id}', 'keys:manage', () => undefined],
      ['PATCH', '/v1/admin/api-keys/{id}', 'keys:manage', () => ({ name: 'y' })],
      ['DELETE', '/v1/admin/api-keys/{id}', 'keys:manage', () => undefined],
      ['POST', '/v1/admin/api-keys/{id}/rotate', 'keys:manage', () => ({})],
      ['POST', '/v1/admin/oauth-clients', 'clients:manage', () => ({ name: 'x', scopes: ['models:read'] })],
      ['GET', '/v1/admin/oauth-clients', 'clients:manage', () => undefined],
      ['GET', '/v1/admin/oauth-clients/{clientId}', 'clients:manage', () => undefined],
      ['PATCH', '/v1/admin/oauth-clients/{clientId}', 'clients:manage', () => ({ name: 'y' })],
      ['DELETE', '/v1/admin/oauth-clients/{clientId}', 'clients:manage', () => undefined],
      ['POST', '/v1/admin/oauth-clients/{clientId}/rotate-secret', 'clients:manage', () => ({})],
      ['PUT', '/v1/admin/models/{name}/versions/{version}', 'models:manage', () => new Uint8Array([1, 2, 3])],
      ['DELETE', '/v1/admin/models/{name}/versions/{version}', 'models:manage', () => undefined],
      ['POST', '/v1/admin/models/{name}/versions/{version}/load', 'models:manage', () => undefined],
      ['POST', '/v1/admin/models/{name}/versions/{version}/unload', 'models:manage', () => undefined],
      ['PUT', '/v1/admin/models/{name}/aliases/{alias}', 'models:manage', () => ({ version: 1 })],
      ['PATCH', '/v1/admin/models/{name}/versions/{version}', 'models:manage', () => ({ deprecatedAt: null })],
      ['GET', '/v1/admin/models/{name}/shadow', 'models:manage', () => undefined],
      ['PUT', '/v1/admin/models/{name}/shadow', 'models:manage', () => ({ version: '2', percent: 10 })],
      ['DELETE', '/v1/admin/models/{name}/shadow', 'models:manage', () => undefined],
      ['GET', '/v1/admin/models/{name}/shadow/report', 'models:manage', () => undefined],
      ['GET', '/v1/admin/usage', 'usage:admin', () => undefined],
      ['GET', '/v1/admin/usage/events', 'usage:admin', () => undefined],
      ['GET', '/v1/admin/usage/live', 'usage:admin', () => undefined],
      ['GET', '/v1/admin/audit-events', 'audit:read', () => undefined],
    ];

    it('should have a row for every admin operation in the OpenAPI document', async () => {
      const document = (await (await fetch(`${server.url}/docs/openapi.json`)).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      const documented = Object.entries(document.paths)
        .filter(([path]) => path.startsWith('/v1/admin/'))
        .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
      expect(rows.map(([method, path]) => `${method} ${path}`).sort()).toEqual(documented.sort());
    });

    it.each(rows)('should refuse %s %s without %s', async (method, template, scope, body) => {
      const path = template
        .replace('{id}', powerfulKey.id)
        .replace('{clientId}', powerfulClient.clientId)
        .replace('{name}', 'iris')
        .replace('{version}', method === 'PUT' ? '99' : '1')
        .replace('{alias}', 'stable');
      const caller = scope === 'keys:manage' ? 'clientsOnly' : 'keysOnly';
      const value = body();
      const response = await call(
        caller,
        method,
        path,
        value,
        value instanceof Uint8Array ? 'application/octet-stream' : undefined,
      );
      expect(response.headers.get('www-authenticate')).toContain(`error="insufficient_scope", scope="${scope}"`);
      await expectRefused(response, 403, 'insufficient_scope');
    });
  });

  describe('API keys: no caller mints, re-issues or changes more than it holds', () => {
    it.each([
      ['keysOnly', { scopes: ['models:manage'] }, 'a scope it does not hold'],
      ['narrowKeys', { scopes: ['models:read'] }, 'every model (the default allow-list)'],
      ['narrowKeys', { scopes: ['models:read'], models: ['*'] }, 'every model'],
      ['narrowKeys', { scopes: ['models:read'], models: ['iris*'] }, 'a pattern wider than its own'],
      ['narrowKeys', { scopes: ['models:read'], models: ['mlp'] }, 'another model'],
    ] as [string, { scopes: string[]; models?: string[] }, string][])(
      'should refuse %s creating a key with %j (%s)',
      async (caller, grant) => {
        await expectRefused(
          await call(caller, 'POST', '/v1/admin/api-keys', { name: 'x', ...grant }),
          403,
          'forbidden',
        );
      },
    );

    it('should let a narrow caller create what it holds', async () => {
      const response = await call('narrowKeys', 'POST', '/v1/admin/api-keys', {
        name: 'ok',
        scopes: ['models:read'],
        models: ['iris'],
      });
      expect(response.status).toBe(201);
    });

    it.each([
      ['rotate', 'POST', '/rotate', { gracePeriodSeconds: 0 }],
      ['patch', 'PATCH', '', { name: 'renamed' }],
      ['patch the scopes down', 'PATCH', '', { scopes: ['models:read'] }],
      ['revoke', 'DELETE', '', undefined],
    ] as const)(
      'should refuse a keys:manage-only caller who tries to %s a more powerful key',
      async (_what, method, suffix, body) => {
        await expectRefused(
          await call('keysOnly', method, `/v1/admin/api-keys/${powerfulKey.id}${suffix}`, body),
          403,
          'forbidden',
        );
        // Nothing changed: the key still works with its own secret, and its record is as it was.
        const record = (await (await call('admin', 'GET', `/v1/admin/api-keys/${powerfulKey.id}`)).json()) as Record<
          string,
          unknown
        >;
        expect(record).toMatchObject({
          name: 'test key',
          revokedAt: null,
          previousKeyExpiresAt: null,
          scopes: ['models:read', 'models:manage'],
        });
        const own = await fetch(`${server.url}/v1/models`, { headers: { 'x-api-key': powerfulKey.key } });
        expect(own.status).toBe(200);
      },
    );

    it.each([
      ['rotate', 'POST', '/rotate', {}],
      ['widen', 'PATCH', '', { models: ['*'] }],
      ['revoke', 'DELETE', '', undefined],
    ] as const)(
      'should refuse a caller restricted to iris who tries to %s a key for every model',
      async (_what, method, suffix, body) => {
        await expectRefused(
          await call('narrowKeys', method, `/v1/admin/api-keys/${powerfulKey.id}${suffix}`, body),
          403,
          'forbidden',
        );
      },
    );

    it('should refuse widening a key the caller may manage beyond the caller', async () => {
      await expectRefused(
        await call('narrowKeys', 'PATCH', `/v1/admin/api-keys/${irisKey.id}`, { models: ['iris', 'mlp'] }),
        403,
        'forbidden',
      );
      await expectRefused(
        await call('narrowKeys', 'PATCH', `/v1/admin/api-keys/${irisKey.id}`, {
          scopes: ['models:read', 'keys:manage', 'usage:admin'],
        }),
        403,
        'forbidden',
      );
    });

    it('should let a caller rotate a key within its own authority', async () => {
      const response = await call('narrowKeys', 'POST', `/v1/admin/api-keys/${irisKey.id}/rotate`, {
        gracePeriodSeconds: 60,
      });
      expect(response.status).toBe(201);
      expect(((await response.json()) as { key: string }).key).toMatch(/^mg_/);
    });
  });

  describe('OAuth clients: the same for client secrets', () => {
    it.each([
      ['clientsOnly', { scopes: ['models:manage'] }],
      ['narrowClients', { scopes: ['models:read'] }],
      ['narrowClients', { scopes: ['models:read'], models: ['mlp'] }],
    ])('should refuse %s registering a client with %j', async (caller, grant) => {
      await expectRefused(
        await call(caller, 'POST', '/v1/admin/oauth-clients', { name: 'x', ...grant }),
        403,
        'forbidden',
      );
    });

    it.each([
      ['rotate its secret', 'POST', '/rotate-secret', { gracePeriodSeconds: 0 }],
      ['patch', 'PATCH', '', { tokenTtlSeconds: 600 }],
      ['disable', 'PATCH', '', { disabled: true }],
      ['delete', 'DELETE', '', undefined],
    ] as const)(
      'should refuse a clients:manage-only caller who tries to %s for a more powerful client',
      async (_what, method, suffix, body) => {
        await expectRefused(
          await call('clientsOnly', method, `/v1/admin/oauth-clients/${powerfulClient.clientId}${suffix}`, body),
          403,
          'forbidden',
        );
        const token = await fetch(`${server.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: powerfulClient.clientId,
            client_secret: powerfulClient.clientSecret,
          }),
        });
        expect(token.status).toBe(200);
      },
    );

    it('should refuse a caller restricted to iris who rotates the secret of a client for every model', async () => {
      const wide = await registerClient(server, admin, { scopes: ['models:read'] });
      await expectRefused(
        await call('narrowClients', 'POST', `/v1/admin/oauth-clients/${wide.clientId}/rotate-secret`, {}),
        403,
        'forbidden',
      );
      const response = await call(
        'narrowClients',
        'POST',
        `/v1/admin/oauth-clients/${irisClient.clientId}/rotate-secret`,
        {},
      );
      expect(response.status).toBe(201);
    });
  });

  describe('models and usage: a narrower allow-list sees and changes only its models', () => {
    it.each([
      ['POST', '/v1/admin/models/mlp/versions/1/unload', undefined, 404],
      ['POST', '/v1/admin/models/mlp/versions/1/load', undefined, 404],
      ['DELETE', '/v1/admin/models/mlp/versions/1', undefined, 404],
      ['PUT', '/v1/admin/models/mlp/aliases/stable', { version: 1 }, 404],
      ['PUT', '/v1/admin/models/mlp/versions/7', new Uint8Array([1, 2, 3]), 403],
      ['PUT', '/v1/admin/models/brand-new/versions/1', new Uint8Array([1, 2, 3]), 403],
    ] as const)('should refuse %s %s to a caller restricted to iris (%#)', async (method, path, body, status) => {
      const response = await call(
        'narrowModels',
        method,
        path,
        body,
        body instanceof Uint8Array ? 'application/octet-stream' : undefined,
      );
      await expectRefused(response, status);
      expect((await call('admin', 'GET', '/v1/models/mlp')).status).toBe(200);
    });

    it('should let it manage the models it may see', async () => {
      const response = await call('narrowModels', 'POST', '/v1/admin/models/iris/versions/1/load');
      expect(response.status).toBe(200);
    });

    it('should show a restricted usage admin only the usage of its models', async () => {
      for (const model of ['iris', 'mlp']) {
        const body = model === 'iris' ? { instances: [[5.1, 3.5, 1.4, 0.2]] } : { instances: [new Array(784).fill(0)] };
        expect((await call('readOnly', 'POST', `/v1/models/${model}/predict`, body)).status).toBe(200);
      }
      await server.app.get(UsageRecorder).flush(true);
      const report = (await (await call('narrowUsage', 'GET', '/v1/admin/usage?groupBy=model')).json()) as {
        items: { model: string | null }[];
      };
      // One bucket per hour: the database may hold earlier hours' traffic too.
      expect(new Set(report.items.map((item) => item.model))).toEqual(new Set(['iris']));
      const events = (await (await call('narrowUsage', 'GET', '/v1/admin/usage/events?limit=1000')).json()) as {
        items: { model: string | null }[];
      };
      expect(new Set(events.items.map((item) => item.model))).toEqual(new Set(['iris']));
      const csv = await (await call('narrowUsage', 'GET', '/v1/admin/usage/events?format=csv')).text();
      expect(csv).not.toContain(',mlp,');
      const everything = (await (await call('admin', 'GET', '/v1/admin/usage?groupBy=model')).json()) as {
        items: { model: string | null }[];
      };
      expect(everything.items.map((item) => item.model)).toEqual(expect.arrayContaining(['iris', 'mlp']));
    });
  });
});
