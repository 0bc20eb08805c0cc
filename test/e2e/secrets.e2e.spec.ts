import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/common/secrets';
import { DIST_CLI, startServerProcess } from '../support/server-process';

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('Secrets', () => {
  it('should print the bootstrap admin key once and never log a secret, hash or token', async () => {
    // Its own embedded database, so that "no admin credential exists yet" holds.
    const server = await startServerProcess({
      LOG_LEVEL: 'trace',
      BOOTSTRAP_ADMIN_KEY: 'true',
      EMBEDDED_DATA_DIR: 'memory://',
    });
    const secrets: string[] = [];
    try {
      const admin = /Admin API key: (mg_live_\S+)/.exec(server.output())?.[1];
      expect(admin, server.output()).toBeDefined();
      const json = { 'content-type': 'application/json', 'x-api-key': admin! };

      const key = (await (
        await fetch(`${server.url}/v1/admin/api-keys`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ name: 'p', scopes: ['models:read'] }),
        })
      ).json()) as { id: string; key: string };
      const rotated = (await (
        await fetch(`${server.url}/v1/admin/api-keys/${key.id}/rotate`, { method: 'POST', headers: json, body: '{}' })
      ).json()) as { key: string };
      const client = (await (
        await fetch(`${server.url}/v1/admin/oauth-clients`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ name: 'c', scopes: ['models:read'] }),
        })
      ).json()) as { clientId: string; clientSecret: string };
      const token = (await (
        await fetch(`${server.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: client.clientId,
            client_secret: client.clientSecret,
          }),
        })
      ).json()) as { access_token: string };
      await fetch(`${server.url}/v1/admin/api-keys`, { headers: { authorization: `Bearer ${token.access_token}` } });
      await fetch(`${server.url}/v1/admin/api-keys`, { headers: { 'x-api-key': key.key } });
      await fetch(`${server.url}/v1/admin/api-keys`, { headers: { 'x-api-key': `${rotated.key.slice(0, -3)}xyz` } });
      await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_secret: `${client.clientSecret}x`,
        }),
      });
      secrets.push(
        key.key,
        rotated.key,
        client.clientSecret,
        token.access_token,
        sha256(admin!),
        sha256(key.key),
        sha256(client.clientSecret),
      );

      const output = server.output();
      expect(occurrences(output, admin!)).toBe(1);
      expect(output).toMatch(/"requestId":"[^"]+"/); // requests really were logged
      for (const secret of secrets)
        expect(occurrences(output, secret), `a secret leaked into the logs: ${secret.slice(0, 12)}…`).toBe(0);
      expect(output).not.toContain(client.clientSecret.slice(4));
    } finally {
      await server.stop();
    }
  });

  it('should create an admin key from the CLI that the server then accepts (and skip the bootstrap)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-cli-'));
    try {
      const env = { PATH: process.env.PATH, EMBEDDED_DATA_DIR: dataDir };
      const result = spawnSync(process.execPath, [DIST_CLI, 'create-admin-key', '--name', 'ops'], {
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status, result.stderr).toBe(0);
      const key = result.stdout.trim();
      expect(key).toMatch(/^mg_live_\w+$/);

      const server = await startServerProcess({
        EMBEDDED_DATA_DIR: dataDir,
        BOOTSTRAP_ADMIN_KEY: 'true',
        LOG_LEVEL: 'info',
      });
      try {
        expect(server.output()).not.toContain('Admin API key:');
        const response = await fetch(`${server.url}/v1/admin/api-keys`, { headers: { 'x-api-key': key } });
        expect(response.status).toBe(200);
        const list = (await response.json()) as { items: { name: string; createdBy: string }[] };
        expect(list.items).toContainEqual(expect.objectContaining({ name: 'ops', createdBy: `cli:${userInfo().username}` }));
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
