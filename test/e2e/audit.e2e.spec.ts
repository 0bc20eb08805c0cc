import { onnx } from 'onnx-proto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.service';
import { ApiKeysRepository } from '../../src/api-keys/api-keys.repository';
import { issueApiKey, registerClient } from '../support/credentials';
import { InferenceServer, startInferenceServer } from '../support/inference-server';
import { addModel } from '../support/models';
import { TestApp } from '../support/test-app';

const { DataType } = onnx.TensorProto;

interface AuditEvent {
  id: string;
  at: string;
  action: string;
  actor: { type: string; id: string; name: string | null };
  target: { type: string; id: string };
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  changes?: Record<string, { before?: unknown; after?: unknown }>;
}

describe('Audit log', () => {
  let fixture: InferenceServer;
  let server: TestApp;
  let admin: string;
  let adminId: string;

  const call = (path: string, key: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: {
        'x-api-key': key,
        'user-agent': 'audit-test/1.0',
        ...(init.body && typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
    });
  const events = async (query: string, key = admin) => {
    const response = await call(`/v1/admin/audit-events?${query}`, key);
    expect(response.status).toBe(200);
    return (await response.json()) as { items: AuditEvent[]; nextCursor: string | null };
  };

  beforeAll(async () => {
    fixture = await startInferenceServer();
    ({ server, admin } = fixture);
    const keys = (await (await call('/v1/admin/api-keys?limit=100', admin)).json()) as {
      items: { id: string; name: string }[];
    };
    adminId = keys.items.find((key) => key.name === 'test admin')!.id;
  });

  afterAll(async () => {
    await server.close();
  });

  it('should record every key change with who, from where and what changed, and never a secret', async () => {
    const created = await call('/v1/admin/api-keys', admin, {
      method: 'POST',
      headers: { 'x-request-id': 'audit-create-1' },
      body: JSON.stringify({ name: 'audited', scopes: ['models:read'] }),
    });
    const key = (await created.json()) as { id: string; key: string };
    await call(`/v1/admin/api-keys/${key.id}`, admin, {
      method: 'PATCH',
      body: JSON.stringify({ name: 'audited, renamed', rateLimit: { requestsPerMinute: 60 } }),
    });
    const rotated = (await (
      await call(`/v1/admin/api-keys/${key.id}/rotate`, admin, { method: 'POST', body: '{"gracePeriodSeconds":60}' })
    ).json()) as { key: string };
    expect((await call(`/v1/admin/api-keys/${key.id}`, admin, { method: 'DELETE' })).status).toBe(204);

    const { items } = await events(`targetId=${key.id}`);
    expect(items.map((event) => event.action)).toEqual([
      'api_key.revoked',
      'api_key.rotated',
      'api_key.updated',
      'api_key.created',
    ]);
    const [revoked, , updated, create] = items;
    expect(create).toMatchObject({
      actor: { type: 'api_key', id: adminId, name: 'test admin' },
      target: { type: 'api_key', id: key.id },
      requestId: 'audit-create-1',
      ip: '127.0.0.1',
      userAgent: 'audit-test/1.0',
      changes: { name: { before: null, after: 'audited' }, scopes: { before: null, after: ['models:read'] } },
    });
    expect(updated.changes).toEqual({
      name: { before: 'audited', after: 'audited, renamed' },
      rateLimitRpm: { before: null, after: 60 },
    });
    expect(revoked.changes?.revokedAt.after).toEqual(expect.any(String));
    const everything = JSON.stringify(items);
    for (const secret of [key.key, rotated.key]) {
      expect(everything).not.toContain(secret.slice(-38));
    }
    expect(everything).not.toMatch(/[0-9a-f]{64}/);
  });

  it('should record client changes and model changes', async () => {
    const client = await registerClient(server, admin, { scopes: ['models:infer'] });
    await call(`/v1/admin/oauth-clients/${client.clientId}/rotate-secret`, admin, { method: 'POST', body: '{}' });
    await call(`/v1/admin/oauth-clients/${client.clientId}`, admin, { method: 'DELETE' });
    const clientActions = (await events(`targetId=${client.clientId}`)).items.map((event) => event.action);
    expect(clientActions).toEqual(['oauth_client.deleted', 'oauth_client.secret_rotated', 'oauth_client.created']);
    expect(JSON.stringify(await events(`targetId=${client.clientId}`))).not.toContain(client.clientSecret);

    const model = `audited-${Date.now().toString(36)}`;
    const uploaded = await call(`/v1/admin/models/${model}/versions/1`, admin, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: addModel(DataType.FLOAT, ['batch', 2]),
    });
    expect(uploaded.status).toBe(201);
    await call(`/v1/admin/models/${model}/versions/1/unload`, admin, { method: 'POST' });
    await call(`/v1/admin/models/${model}/versions/1/load`, admin, { method: 'POST' });
    await call(`/v1/admin/models/${model}/aliases/stable`, admin, { method: 'PUT', body: '{"version":"1"}' });
    expect((await call(`/v1/admin/models/${model}/versions/1`, admin, { method: 'DELETE' })).status).toBe(204);
    const modelEvents = [
      ...(await events(`targetId=${model}/1`)).items,
      ...(await events(`targetId=${model}/stable`)).items,
    ];
    expect(modelEvents.map((event) => event.action).sort()).toEqual([
      'alias.updated',
      'model_version.deleted',
      'model_version.loaded',
      'model_version.unloaded',
      'model_version.uploaded',
    ]);
    expect(modelEvents.find((event) => event.action === 'model_version.unloaded')?.changes).toEqual({
      state: { before: 'READY', after: 'UNAVAILABLE' },
    });
    expect(modelEvents.find((event) => event.action === 'alias.updated')?.changes).toEqual({
      version: { before: null, after: 1 },
    });
  });

  it('should record nothing for a change that fails', async () => {
    const key = await issueApiKey(server, admin, { scopes: ['models:read'] });
    await call(`/v1/admin/api-keys/${key.id}`, admin, { method: 'DELETE' });
    const before = (await events(`targetId=${key.id}`)).items.length;
    expect(
      (await call(`/v1/admin/api-keys/${key.id}`, admin, { method: 'PATCH', body: '{"name":"too late"}' })).status,
    ).toBe(409);
    expect((await call(`/v1/admin/api-keys/${key.id}/rotate`, admin, { method: 'POST', body: '{}' })).status).toBe(409);
    expect((await events(`targetId=${key.id}`)).items).toHaveLength(before);

    // A change whose transaction fails after its row was written leaves neither the row nor its event.
    const audit = server.app.get(AuditLog);
    const repository = server.app.get(ApiKeysRepository);
    const failing = audit.transaction(async () => {
      await repository.update(key.id, { name: 'rolled back' });
      await audit.record({ action: 'api_key.updated', target: { type: 'api_key', id: key.id } });
      throw new Error('after the event');
    });
    await expect(failing).rejects.toThrow('after the event');
    expect((await events(`targetId=${key.id}`)).items).toHaveLength(before);
    expect(((await (await call(`/v1/admin/api-keys/${key.id}`, admin)).json()) as { name: string }).name).toBe(
      'test key',
    );
  });

  it('should filter by actor, action (or a family of actions) and time, and page without gaps', async () => {
    const other = await issueApiKey(server, admin, { scopes: ['keys:manage', 'models:read'] });
    const since = new Date().toISOString();
    for (let i = 0; i < 5; i += 1)
      await issueApiKey(server, other.key, { name: `by other ${i}`, scopes: ['models:read'] });
    const byOther = await events(`actorId=${other.id}&limit=2`);
    expect(byOther.items).toHaveLength(2);
    const seen = [...byOther.items];
    let cursor = byOther.nextCursor;
    while (cursor) {
      const page = await events(`actorId=${other.id}&limit=2&cursor=${encodeURIComponent(cursor)}`);
      seen.push(...page.items);
      cursor = page.nextCursor;
    }
    expect(seen.map((event) => event.action)).toEqual(Array(5).fill('api_key.created'));
    expect(new Set(seen.map((event) => event.id)).size).toBe(5);
    expect((await events(`action=api_key.*&from=${since}`)).items.length).toBeGreaterThanOrEqual(5);
    expect((await events(`action=oauth_client.*&from=${since}`)).items).toHaveLength(0);
    expect((await events(`to=${since}&actorId=${other.id}`)).items).toHaveLength(0);
  });

  it('should stream CSV for Accept: text/csv and ?format=csv', async () => {
    const byAccept = await call('/v1/admin/audit-events?action=api_key.created', admin, {
      headers: { accept: 'text/csv' },
    });
    expect(byAccept.status).toBe(200);
    expect(byAccept.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await byAccept.text()).trim().split('\n');
    expect(lines[0]).toBe(
      'id,at,action,actor_type,actor_id,actor_name,target_type,target_id,request_id,ip,user_agent,changes',
    );
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.slice(1).every((line) => line.includes(',api_key.created,'))).toBe(true);
    const byFormat = await call('/v1/admin/audit-events?format=csv&action=api_key.revoked', admin);
    expect((await byFormat.text()).split('\n')[1]).toContain('api_key.revoked');
  });

  it('should need audit:read, and refuse bad queries with 400', async () => {
    const keysOnly = await issueApiKey(server, admin, { scopes: ['keys:manage'] });
    expect((await call('/v1/admin/audit-events', keysOnly.key)).status).toBe(403);
    const reader = await issueApiKey(server, admin, { scopes: ['audit:read'] });
    expect((await call('/v1/admin/audit-events', reader.key)).status).toBe(200);
    for (const query of [
      'limit=0',
      'limit=1001',
      'from=yesterday',
      'action=DROP%20TABLE',
      'cursor=nonsense',
      'format=xml',
    ]) {
      const response = await call(`/v1/admin/audit-events?${query}`, admin);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/problem\+json/);
    }
    const backwards = await call('/v1/admin/audit-events?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', admin);
    expect(backwards.status).toBe(400);
  });

  it('should keep the table append-only', async () => {
    const dataSource = server.app.get(DataSource);
    await expect(dataSource.query(`UPDATE audit_events SET action = 'api_key.forged'`)).rejects.toThrow(/append-only/);
    await expect(dataSource.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
    expect((await events('action=api_key.forged')).items).toHaveLength(0);
  });
});
