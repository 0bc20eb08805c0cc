import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scope } from '../../src/identity/scopes';
import { createAdminKey, eventually, issueApiKey } from '../support/credentials';
import { ProbeModule } from '../support/probe.module';
import { startTestApp, TestApp } from '../support/test-app';

const withRealPostgres = process.env.DATABASE_URL ? describe : describe.skip;

describe('API keys', () => {
  let server: TestApp;
  let admin: string;

  const call = (path: string, key?: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: {
        ...(key ? { 'x-api-key': key } : {}),
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
    });

  beforeAll(async () => {
    server = await startTestApp({}, { imports: [ProbeModule] });
    admin = await createAdminKey(server);
  });

  afterAll(async () => {
    await server.close();
  });

  it('should issue a key once and never show its secret again', async () => {
    const response = await call('/v1/admin/api-keys', admin, {
      method: 'POST',
      body: JSON.stringify({
        name: 'partner A',
        scopes: ['models:read'],
        models: ['iris', 'fraud-*'],
        rateLimit: { requestsPerMinute: 600 },
      }),
    });
    expect(response.status).toBe(201);
    const created = (await response.json()) as Record<string, unknown>;
    expect(created.key).toMatch(/^mg_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/);
    expect(created).toMatchObject({
      name: 'partner A',
      scopes: ['models:read'],
      models: ['iris', 'fraud-*'],
      rateLimit: { requestsPerMinute: 600 },
      quota: null,
    });
    expect(String(created.key).startsWith(String(created.prefix))).toBe(true);

    const fetched = (await (await call(`/v1/admin/api-keys/${String(created.id)}`, admin)).json()) as Record<
      string,
      unknown
    >;
    expect(fetched).not.toHaveProperty('key');
    expect(JSON.stringify(fetched)).not.toContain(String(created.key).slice(-38));
    expect(JSON.stringify(fetched)).not.toMatch(/[0-9a-f]{64}/);

    const list = (await (await call('/v1/admin/api-keys?limit=100', admin)).json()) as { items: unknown[] };
    expect(JSON.stringify(list)).not.toContain(String(created.key));
  });

  it('should authenticate with the key and check scopes', async () => {
    const reader = await issueApiKey(server, admin, { scopes: [Scope.ModelsRead] });
    expect((await call('/v1/probe/protected', reader.key)).status).toBe(200);

    const noScope = await issueApiKey(server, admin, { scopes: [Scope.UsageRead] });
    const forbidden = await call('/v1/probe/protected', noScope.key);
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('www-authenticate')).toBe(
      'Bearer realm="modelgate", error="insufficient_scope", scope="models:read"',
    );
    expect(await forbidden.json()).toMatchObject({ code: 'insufficient_scope', status: 403 });
  });

  it('should answer 401 invalid_token for malformed, tampered and unknown keys', async () => {
    const issued = await issueApiKey(server, admin, { scopes: [Scope.ModelsRead] });
    const tampered = `${issued.key.slice(0, -7)}${issued.key.at(-7) === 'A' ? 'B' : 'A'}${issued.key.slice(-6)}`;
    const unknownButWellFormed = issued.key.replace(/_[0-9A-Za-z]{12}_/, '_AAAAAAAAAAAA_');
    for (const key of ['nonsense', tampered, unknownButWellFormed]) {
      const response = await call('/v1/probe/protected', key);
      expect(response.status, key).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="modelgate", error="invalid_token"/);
    }
  });

  it('should reject a request presenting both a key and a token', async () => {
    const issued = await issueApiKey(server, admin, { scopes: [Scope.ModelsRead] });
    const response = await call('/v1/probe/protected', issued.key, { headers: { authorization: 'Bearer abc' } });
    expect(response.status).toBe(401);
  });

  it('should not let a caller grant scopes it does not hold', async () => {
    const keyManager = await issueApiKey(server, admin, { scopes: [Scope.KeysManage] });
    const response = await call('/v1/admin/api-keys', keyManager.key, {
      method: 'POST',
      body: JSON.stringify({ name: 'escalation', scopes: ['keys:manage', 'models:infer'] }),
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { detail: string }).detail).toContain('models:infer');
    const own = await call('/v1/admin/api-keys', keyManager.key, {
      method: 'POST',
      body: JSON.stringify({ name: 'same scopes', scopes: ['keys:manage'] }),
    });
    expect(own.status).toBe(201);
  });

  it('should validate the request body with field errors', async () => {
    const response = await call('/v1/admin/api-keys', admin, {
      method: 'POST',
      body: JSON.stringify({ name: '', scopes: ['everything'], models: ['../etc'] }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; errors: { field: string }[] };
    expect(body.code).toBe('validation_failed');
    expect(body.errors.map((error) => error.field).sort()).toEqual(['models', 'name', 'scopes']);
  });

  it('should keep the old key working during the rotation grace period only', async () => {
    const original = await issueApiKey(server, admin, { scopes: [Scope.ModelsRead] });
    const rotated = await call(`/v1/admin/api-keys/${original.id}/rotate`, admin, {
      method: 'POST',
      body: JSON.stringify({ gracePeriodSeconds: 2 }),
    });
    expect(rotated.status).toBe(201);
    const fresh = (await rotated.json()) as { key: string; previousKeyExpiresAt: string; id: string };
    expect(fresh.id).toBe(original.id);
    expect(fresh.key).not.toBe(original.key);
    expect((await call('/v1/probe/protected', fresh.key)).status).toBe(200);
    expect((await call('/v1/probe/protected', original.key)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    expect((await call('/v1/probe/protected', original.key)).status).toBe(401);
    expect((await call('/v1/probe/protected', fresh.key)).status).toBe(200);
  });

  it('should revoke a key at once and show revokedAt', async () => {
    const issued = await issueApiKey(server, admin, { scopes: [Scope.ModelsRead] });
    expect((await call('/v1/probe/protected', issued.key)).status).toBe(200);
    expect((await call(`/v1/admin/api-keys/${issued.id}`, admin, { method: 'DELETE' })).status).toBe(204);
    expect((await call('/v1/probe/protected', issued.key)).status).toBe(401);
    const record = (await (await call(`/v1/admin/api-keys/${issued.id}`, admin)).json()) as {
      revokedAt: string | null;
    };
    expect(record.revokedAt).not.toBeNull();
  });

  it('should stop accepting a key when it expires', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const issued = await issueApiKey(server, admin, { scopes: [Scope.ModelsRead], expiresAt });
    expect((await call('/v1/probe/protected', issued.key)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1700));
    expect((await call('/v1/probe/protected', issued.key)).status).toBe(401);
  });

  it('should record lastUsedAt', async () => {
    const issued = await issueApiKey(server, admin, { scopes: [Scope.ModelsRead] });
    await call('/v1/probe/protected', issued.key);
    await eventually(async () => {
      const record = (await (await call(`/v1/admin/api-keys/${issued.id}`, admin)).json()) as {
        lastUsedAt: string | null;
      };
      return record.lastUsedAt !== null;
    }, 3000);
  });

  it('should page through keys with an opaque cursor', async () => {
    for (let index = 0; index < 3; index++)
      await issueApiKey(server, admin, { scopes: [Scope.ModelsRead], name: `page ${index}` });
    const first = (await (await call('/v1/admin/api-keys?limit=2', admin)).json()) as {
      items: { id: string }[];
      nextCursor: string;
    };
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (await (await call(`/v1/admin/api-keys?limit=2&cursor=${first.nextCursor}`, admin)).json()) as {
      items: { id: string }[];
    };
    expect(second.items.length).toBeGreaterThan(0);
    expect(second.items.map((item) => item.id)).not.toContain(first.items[0].id);
    expect((await call('/v1/admin/api-keys?limit=101', admin)).status).toBe(400);
    expect((await call('/v1/admin/api-keys?cursor=garbage', admin)).status).toBe(400);
  });

  it('should answer 404 for an unknown key id', async () => {
    expect((await call('/v1/admin/api-keys/00000000-0000-0000-0000-000000000000', admin)).status).toBe(404);
    expect((await call('/v1/admin/api-keys/not-a-uuid', admin)).status).toBe(404);
  });
});

withRealPostgres('API keys across instances', () => {
  it('should reject a revoked key on every instance within 5 seconds', async () => {
    const [a, b] = await Promise.all([
      startTestApp({}, { imports: [ProbeModule] }),
      startTestApp({}, { imports: [ProbeModule] }),
    ]);
    try {
      const admin = await createAdminKey(a);
      const issued = await issueApiKey(a, admin, { scopes: [Scope.ModelsRead] });
      expect((await fetch(`${b.url}/v1/probe/protected`, { headers: { 'x-api-key': issued.key } })).status).toBe(200);
      await fetch(`${a.url}/v1/admin/api-keys/${issued.id}`, { method: 'DELETE', headers: { 'x-api-key': admin } });
      const elapsed = await eventually(
        async () =>
          (await fetch(`${b.url}/v1/probe/protected`, { headers: { 'x-api-key': issued.key } })).status === 401,
        5000,
      );
      expect(elapsed).toBeLessThan(5000);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
