import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, issueApiKey } from '../support/credentials';
import { DIST_CLI, ServerProcess, startServerProcess } from '../support/server-process';
import { TestApp } from '../support/test-app';

const withRealPostgres = process.env.DATABASE_URL ? describe : describe.skip;
const IRIS = JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] });
const REQUEST_TIMEOUT_MS = 10_000;

/** Every request id (the client's own) of the principal's usage events, paging through them all. */
async function meteredIds(url: string, admin: string, principalId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  const from = new Date(Date.now() - 3_600_000).toISOString();
  do {
    const response = await fetch(
      `${url}/v1/admin/usage/events?principalId=${principalId}&limit=1000&from=${from}${cursor ? `&cursor=${cursor}` : ''}`,
      { headers: { 'x-api-key': admin } },
    );
    const page = (await response.json()) as { items: { requestId: string }[]; nextCursor: string | null };
    for (const item of page.items) ids.add(item.requestId);
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

/**
 * Drives `connections` concurrent request loops (each request with an id of its own, as a client that
 * retries would send) until `stop` resolves; resolves to the ids answered 200. Each request gives up
 * after REQUEST_TIMEOUT_MS, as a real client would: node:cluster's primary keeps open a connection it
 * was handing to the worker killed at that moment (round_robin_handle.js closes it only on the worker's
 * reply), so that request would wait for undici's own 300 s.
 */
async function load(url: string, key: string, connections: number, stop: Promise<void>): Promise<string[]> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  const answered: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (!stopped) {
        const id = `crash-${process.pid}-${Date.now()}-${next++}`;
        try {
          const response = await fetch(`${url}/v1/models/iris/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': key, 'x-request-id': id },
            body: IRIS,
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          await response.arrayBuffer();
          if (response.status === 200) answered.push(id);
        } catch {
          // the server was killed under this request (or it timed out): it was not answered
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    }),
  );
  return answered;
}

/** The pid of the worker that answers a new connection, from /health/live (each answers with its own). */
function livePid(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`${url}/health/live`, { agent: false }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve((JSON.parse(text) as { info: { process: { pid: number } } }).info.process.pid));
    }).on('error', reject);
  });
}

/** The pids of a cluster's workers (the primary hands new connections to each in turn). */
async function workerPids(url: string, count: number): Promise<number[]> {
  const pids = new Set<number>();
  await eventually(async () => {
    pids.add(await livePid(url));
    return pids.size >= count;
  }, 20_000);
  return [...pids];
}

withRealPostgres('Usage across crashes (SIGKILL)', { timeout: 120_000 }, () => {
  const setUp = () => {
    const scratch = mkdtempSync(join(tmpdir(), 'modelgate-crash-'));
    const env = {
      DATABASE_URL: process.env.DATABASE_URL!,
      WORKERS: '2',
      USAGE_JOURNAL_DIR: join(scratch, 'journal'),
      USAGE_SPOOL_DIR: join(scratch, 'spool'),
      BOOTSTRAP_ADMIN_KEY: 'false',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_DEFAULT_RPM: '0',
    };
    const cli = spawnSync(process.execPath, [DIST_CLI, 'create-admin-key'], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(cli.status, cli.stderr).toBe(0);
    return { scratch, env, admin: cli.stdout.trim() };
  };

  async function expectEveryAnswerMetered(
    server: ServerProcess,
    admin: string,
    principalId: string,
    answered: string[],
    what: string,
  ) {
    expect(answered.length).toBeGreaterThan(100);
    let metered = new Set<string>();
    await eventually(async () => {
      metered = await meteredIds(server.url, admin, principalId);
      return answered.every((id) => metered.has(id));
    }, 30_000).catch(() => undefined);
    const missing = answered.filter((id) => !metered.has(id));
    // The figures the closing note and README quote.
    console.log(
      `${what}: ${answered.length} requests answered, ${metered.size} metered, ${missing.length} answered but not metered`,
    );
    expect(missing).toEqual([]);
  }

  it('should meter every answered request when the whole server (primary and workers) is killed under load', async () => {
    const { scratch, env, admin } = setUp();
    let server = await startServerProcess(env, { detached: true });
    try {
      const partner = await issueApiKey({ url: server.url } as TestApp, admin, { scopes: ['models:infer'] });
      const killed = new Promise<void>((resolve) =>
        setTimeout(() => {
          process.kill(-server.child.pid!, 'SIGKILL');
          resolve();
        }, 2500),
      );
      const answered = await load(server.url, partner.key, 16, killed);
      const primary = server.child;
      if (primary.exitCode === null && primary.signalCode === null)
        await new Promise((resolve) => primary.once('exit', resolve));
      // The journal holds what was not yet written; the restart replays it.
      expect(readdirSync(env.USAGE_JOURNAL_DIR).length).toBeGreaterThan(0);
      server = await startServerProcess(env, { detached: true });
      await expectEveryAnswerMetered(server, admin, partner.id, answered, 'process group killed');
      await eventually(() => Promise.resolve(readdirSync(env.USAGE_JOURNAL_DIR).length <= 2), 20_000); // the workers' live segments at most
    } finally {
      await server.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('should meter every answered request when one worker is killed under load (the others replay its journal)', async () => {
    const { scratch, env, admin } = setUp();
    const server = await startServerProcess(env, { detached: true });
    try {
      const partner = await issueApiKey({ url: server.url } as TestApp, admin, { scopes: ['models:infer'] });
      const [victim] = await workerPids(server.url, 2);
      let stop!: () => void;
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      setTimeout(() => process.kill(victim, 'SIGKILL'), 1500);
      setTimeout(stop, 3500);
      const answered = await load(server.url, partner.key, 16, stopped);
      await expectEveryAnswerMetered(server, admin, partner.id, answered, 'one worker killed');
    } finally {
      await server.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
