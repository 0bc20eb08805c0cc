import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageRecorder } from '../../src/usage/usage-recorder.service';
import { createAdminKey, eventually, issueApiKey } from '../support/credentials';
import { DIST_CLI, startServerProcess } from '../support/server-process';
import { TcpProxy } from '../support/tcp-proxy';
import { startTestApp, TestApp } from '../support/test-app';

const withRealPostgres = process.env.DATABASE_URL ? describe : describe.skip;
const IRIS = JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] });

async function predictOn(url: string, key: string): Promise<number> {
  const response = await fetch(`${url}/v1/models/iris/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: IRIS,
  });
  await response.arrayBuffer();
  return response.status;
}

async function countEvents(url: string, adminKey: string, principalId: string): Promise<number> {
  const response = await fetch(
    `${url}/v1/admin/usage/events?principalId=${principalId}&limit=1000&from=${new Date(Date.now() - 3_600_000).toISOString()}`,
    {
      headers: { 'x-api-key': adminKey },
    },
  );
  return ((await response.json()) as { items: unknown[] }).items.length;
}

describe('Usage durability', () => {
  it('should write every event of requests served before SIGTERM (flush at shutdown)', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'modelgate-sigterm-'));
    try {
      const env = {
        EMBEDDED_DATA_DIR: join(scratch, 'db'),
        USAGE_SPOOL_DIR: join(scratch, 'spool'),
        ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
        // Nothing is written on the interval: every event still buffered must be flushed by the shutdown.
        USAGE_FLUSH_INTERVAL_MS: '600000',
        BOOTSTRAP_ADMIN_KEY: 'false',
        LOG_LEVEL: 'warn',
      };
      const cli = spawnSync(process.execPath, [DIST_CLI, 'create-admin-key'], {
        env: { PATH: process.env.PATH, ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(cli.status, cli.stderr).toBe(0);
      const adminKey = cli.stdout.trim();

      let server = await startServerProcess(env);
      const partner = await issueApiKey({ url: server.url } as TestApp, adminKey, { scopes: ['models:infer'] });
      const inFlight: Promise<number | 'failed'>[] = [];
      for (let i = 0; i < 60; i++) {
        inFlight.push(predictOn(server.url, partner.key).catch(() => 'failed' as const));
        if (i === 40) void server.stop();
        if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const statuses = await Promise.all(inFlight);
      expect(await server.stop()).not.toBeNull();
      const served = statuses.filter((status) => status === 200).length;
      expect(served).toBeGreaterThan(0);

      server = await startServerProcess(env);
      try {
        expect(await countEvents(server.url, adminKey, partner.id)).toBe(served);
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

withRealPostgres('Usage durability with PostgreSQL', () => {
  it('should keep events through a database outage, spool them at shutdown, and write them after recovery', async () => {
    const target = new URL(process.env.DATABASE_URL!);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    const spool = mkdtempSync(join(tmpdir(), 'modelgate-spool-'));
    const proxied = new URL(process.env.DATABASE_URL!);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const server = await startTestApp({
      DATABASE_URL: proxied.toString(),
      USAGE_FLUSH_INTERVAL_MS: '100',
      USAGE_SPOOL_DIR: spool,
    });
    const recorder = server.app.get(UsageRecorder);
    try {
      const admin = await createAdminKey(server);
      const partner = await issueApiKey(server, admin, { scopes: ['models:infer'] });
      for (let i = 0; i < 5; i++) expect(await predictOn(server.url, partner.key)).toBe(200);
      await recorder.flush(true);

      proxy.cut();
      for (let i = 0; i < 10; i++) expect(await predictOn(server.url, partner.key)).toBe(200);
      await recorder.flush(true);
      expect(recorder.backlog).toBeGreaterThanOrEqual(10);

      // The shutdown flush with the database still down spools what it cannot write.
      await recorder.drain();
      expect(recorder.backlog).toBe(0);
      expect(readdirSync(spool).filter((name) => name.endsWith('.jsonl'))).toHaveLength(1);

      proxy.restore();
      await eventually(async () => {
        await recorder.flush(true);
        return (await countEvents(server.url, admin, partner.id)) === 15;
      }, 20_000);
      expect(readdirSync(spool)).toEqual([]);
    } finally {
      proxy.restore();
      await server.close();
      await proxy.close();
      rmSync(spool, { recursive: true, force: true });
    }
  });

  it('should hold a rate limit across two instances on one database', async () => {
    const [a, b] = await Promise.all([startTestApp(), startTestApp()]);
    try {
      const admin = await createAdminKey(a);
      const key = (await issueApiKey(a, admin, { scopes: ['models:infer'], rateLimit: { requestsPerMinute: 20 } })).key;
      let allowed = 0;
      for (let i = 0; i < 40; i++) if ((await predictOn(i % 2 === 0 ? a.url : b.url, key)) === 200) allowed++;
      expect(allowed).toBe(20);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
