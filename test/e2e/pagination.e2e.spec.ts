import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/common/pagination/pagination';
import { createAdminKey, issueApiKey, registerClient } from '../support/credentials';
import { startTestApp, TestApp } from '../support/test-app';

interface PageBody {
  items: { id?: string; clientId?: string }[];
  nextCursor: string | null;
}

describe('Pagination', () => {
  let server: TestApp;
  let admin: string;

  const get = async (path: string): Promise<PageBody> => {
    const response = await fetch(`${server.url}${path}`, { headers: { 'x-api-key': admin } });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as PageBody;
  };

  /** Every id on every page of a list, in order, following nextCursor. */
  async function pageThrough(
    path: string,
    limit: number,
    id: (item: PageBody['items'][number]) => string,
    during?: () => Promise<unknown>,
  ) {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`${path}?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map(id));
      cursor = page.nextCursor;
      await during?.();
    } while (cursor);
    return seen;
  }

  beforeAll(async () => {
    server = await startTestApp();
    admin = await createAdminKey(server);
  });

  afterAll(async () => {
    await server.close();
  });

  it('should page through keys created in the same millisecond, losing and repeating none', async () => {
    const keys = await Promise.all(
      Array.from({ length: 7 }, () => issueApiKey(server, admin, { scopes: ['models:read'] })),
    );
    // PostgreSQL keeps microseconds: seven keys one microsecond apart share a millisecond (and two share
    // the same instant, told apart by their id).
    const dataSource = server.app.get(DataSource);
    for (const [index, key] of keys.entries()) {
      const micros = String(Math.min(index, 5) + 1).padStart(6, '0');
      await dataSource.query(`UPDATE api_keys SET created_at = $1 WHERE id = $2`, [
        `2001-02-03T04:05:06.${micros}Z`,
        key.id,
      ]);
    }
    const ours = new Set(keys.map((key) => key.id));
    for (const limit of [1, 2, 3, 100]) {
      const seen = (await pageThrough('/v1/admin/api-keys', limit, (item) => item.id!)).filter((id) => ours.has(id));
      expect(seen.length, `limit ${limit}`).toBe(keys.length);
      expect(new Set(seen).size).toBe(keys.length);
    }
  });

  it('should lose and repeat no row while keys are created between pages', async () => {
    const before = await pageThrough('/v1/admin/api-keys', 100, (item) => item.id!);
    let created = 0;
    const seen = await pageThrough(
      '/v1/admin/api-keys',
      2,
      (item) => item.id!,
      async () => {
        if (created++ < 20) await issueApiKey(server, admin, { scopes: ['models:read'] });
      },
    );
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
  });

  it('should page through OAuth clients the same way', async () => {
    const clients = await Promise.all(
      Array.from({ length: 4 }, () => registerClient(server, admin, { scopes: ['models:read'] })),
    );
    const dataSource = server.app.get(DataSource);
    for (const client of clients) {
      await dataSource.query(
        `UPDATE oauth_clients SET created_at = '2001-02-03T04:05:06.000001Z' WHERE client_id = $1`,
        [client.clientId],
      );
    }
    const ours = new Set(clients.map((client) => client.clientId));
    const seen = (await pageThrough('/v1/admin/oauth-clients', 1, (item) => item.clientId!)).filter((id) =>
      ours.has(id),
    );
    expect(seen.sort()).toEqual([...ours].sort());
  });

  it.each([
    ['garbage', 'garbage'],
    [
      'a cursor with its checksum changed',
      () => `${encodeCursor(['2001-02-03T04:05:06.000001Z', '00000000-0000-4000-8000-000000000000']).slice(0, -1)}A`,
    ],
    ['a well-formed cursor with a non-uuid id', () => encodeCursor(['2001-02-03T04:05:06.000001Z', 'not-a-uuid'])],
    ['a well-formed cursor with a bad time', () => encodeCursor(['yesterday', '00000000-0000-4000-8000-000000000000'])],
    ['a cursor of the wrong shape', () => encodeCursor(['2001-02-03T04:05:06.000001Z'])],
    [
      'a truncated cursor',
      () => encodeCursor(['2001-02-03T04:05:06.000001Z', '00000000-0000-4000-8000-000000000000']).slice(0, 20),
    ],
  ])('should answer %s with 400, on every paged list', async (_what, cursor) => {
    const value = typeof cursor === 'function' ? cursor() : cursor;
    for (const path of ['/v1/admin/api-keys', '/v1/admin/oauth-clients', '/v1/admin/usage/events']) {
      const response = await fetch(`${server.url}${path}?cursor=${encodeURIComponent(value)}`, {
        headers: { 'x-api-key': admin },
      });
      expect(response.status, path).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'cursor' }] });
    }
  });
});
