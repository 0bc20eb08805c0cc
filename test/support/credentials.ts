import { ApiKeysService } from '../../src/api-keys/api-keys.service';
import { Scope } from '../../src/identity/scopes';
import { TestApp } from './test-app';

/** An admin API key (every scope), made the way `npm run cli -- create-admin-key` makes one. */
export async function createAdminKey(server: TestApp): Promise<string> {
  return (await server.app.get(ApiKeysService).createAdminKey('test admin', 'test')).key;
}

export interface IssuedKey {
  id: string;
  key: string;
  prefix: string;
}

/** Issues an API key through the admin API. */
export async function issueApiKey(
  server: TestApp,
  adminKey: string,
  body: { name?: string; scopes: Scope[] | string[]; models?: string[]; [field: string]: unknown },
): Promise<IssuedKey> {
  const response = await fetch(`${server.url}/v1/admin/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': adminKey },
    body: JSON.stringify({ name: 'test key', ...body }),
  });
  if (response.status !== 201) throw new Error(`issuing a key failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as IssuedKey;
}

export interface IssuedClient {
  clientId: string;
  clientSecret: string;
}

export async function registerClient(
  server: TestApp,
  adminKey: string,
  body: { name?: string; scopes: string[]; [field: string]: unknown },
): Promise<IssuedClient> {
  const response = await fetch(`${server.url}/v1/admin/oauth-clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': adminKey },
    body: JSON.stringify({ name: 'test client', ...body }),
  });
  if (response.status !== 201)
    throw new Error(`registering a client failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as IssuedClient;
}

/** Polls until `check` passes or the deadline expires (for cross-instance propagation). */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
