import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eventually, issueApiKey, registerClient } from '../support/credentials';
import { DIST_CLI, startServerProcess } from '../support/server-process';
import { TcpProxy } from '../support/tcp-proxy';
import { TestApp } from '../support/test-app';

const withRealPostgres = process.env.DATABASE_URL ? describe : describe.skip;

interface LogLine {
  level: number;
  msg: string;
}

withRealPostgres('Database outage', () => {
  it('should answer 503 with Retry-After (never 500) where the database is needed, keep cached credentials working, and log readiness once per change', async () => {
    const target = new URL(process.env.DATABASE_URL!);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    const proxied = new URL(process.env.DATABASE_URL!);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const env = { DATABASE_URL: proxied.toString(), WORKERS: '1', BOOTSTRAP_ADMIN_KEY: 'false', LOG_LEVEL: 'info' };
    // Not through the proxy: spawnSync blocks this process, which runs the proxy.
    const cli = spawnSync(process.execPath, [DIST_CLI, 'create-admin-key'], {
      env: { PATH: process.env.PATH, ...env, DATABASE_URL: process.env.DATABASE_URL, LOG_LEVEL: 'warn' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(cli.status, cli.stderr).toBe(0);
    const admin = cli.stdout.trim();
    const server = await startServerProcess(env);
    try {
      const context = { url: server.url } as TestApp;
      const cached = await issueApiKey(context, admin, { scopes: ['models:read', 'models:infer'] });
      const uncached = await issueApiKey(context, admin, { scopes: ['models:read'] });
      const client = await registerClient(context, admin, { scopes: ['models:read'] });
      const models = (key: string) => fetch(`${server.url}/v1/models`, { headers: { 'x-api-key': key } });
      expect((await models(cached.key)).status).toBe(200);

      proxy.cut();
      // A credential verified before the outage keeps working from memory.
      expect((await models(cached.key)).status).toBe(200);
      const predict = await fetch(`${server.url}/v1/models/iris/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': cached.key },
        body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }),
      });
      expect(predict.status).toBe(200);

      // One that needs the database: 503 with Retry-After, in each surface's format.
      const refused = await models(uncached.key);
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ status: 503, code: 'service_unavailable' });
      const v2 = await fetch(`${server.url}/v2/models/iris`, { headers: { 'x-api-key': uncached.key } });
      expect(v2.status).toBe(503);
      expect(Object.keys((await v2.json()) as object)).toEqual(['error']);
      const token = await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_secret: client.clientSecret,
        }),
      });
      expect(token.status).toBe(503);
      expect(token.headers.get('retry-after')).toBeTruthy();
      expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable' });
      const list = await fetch(`${server.url}/v1/admin/api-keys`, { headers: { 'x-api-key': admin } });
      expect(list.status).toBe(503);
      expect(list.headers.get('retry-after')).toBeTruthy();

      for (let i = 0; i < 5; i++) expect((await fetch(`${server.url}/health/ready`)).status).toBe(503);
      proxy.restore();
      await eventually(async () => (await fetch(`${server.url}/health/ready`)).status === 200, 20_000);
      expect((await models(uncached.key)).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);

      const lines = server
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine);
      const notReady = lines.filter((line) => line.msg.startsWith('Not ready'));
      expect(notReady).toHaveLength(1);
      expect(notReady[0].level).toBe(40);
      expect(lines.filter((line) => line.msg === 'Ready again')).toHaveLength(1);
      expect(lines.filter((line) => line.msg === 'Unhandled error')).toEqual([]);
      expect(server.output()).not.toMatch(/\n\s+at /); // no stack trace anywhere
    } finally {
      proxy.restore();
      await server.stop();
      await proxy.close();
    }
  });
});
