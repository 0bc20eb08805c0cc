import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/credentials';
import { haproxyInstalled, LoadBalancer, startHaproxy } from '../support/haproxy';
import { DIST_CLI, freePort, ServerProcess, startServerProcess } from '../support/server-process';

const IRIS = JSON.stringify({ inputs: { input: [[5.1, 3.5, 1.4, 0.2]] } });
/** Longer than HAProxy needs to take an instance out (two failed checks 500 ms apart, and some). */
// TEST_DRAIN_MS=0 shows what the drain is for: a rolling restart without one fails requests.
const DRAIN_MS = Number(process.env.TEST_DRAIN_MS ?? 2500);

function env(): Record<string, string> {
  return {
    DATABASE_URL: process.env.DATABASE_URL!,
    WORKERS: '1',
    BOOTSTRAP_ADMIN_KEY: 'false',
    LOG_LEVEL: 'warn',
    SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
    USAGE_FLUSH_INTERVAL_MS: '200',
  };
}

function createAdminKey(): string {
  const result = spawnSync(process.execPath, [DIST_CLI, 'create-admin-key', '--name', 'rolling-restart'], {
    env: { PATH: process.env.PATH, DATABASE_URL: process.env.DATABASE_URL, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  const key = /mg_[A-Za-z0-9_]+/.exec(result.stdout)?.[0];
  if (!key) throw new Error(`create-admin-key failed: ${result.stderr || result.stdout}`);
  return key;
}

async function issueKey(url: string, admin: string, body: object): Promise<{ id: string; key: string }> {
  const response = await fetch(`${url}/v1/admin/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': admin },
    body: JSON.stringify({ name: 'rolling-restart partner', scopes: ['models:infer'], ...body }),
  });
  if (response.status !== 201) throw new Error(`issuing a key failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; key: string };
}

async function predict(url: string, key: string): Promise<number> {
  const response = await fetch(`${url}/v1/models/iris/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: IRIS,
  });
  await response.arrayBuffer();
  return response.status;
}

/** Requests metered to a principal since `from`, as the usage report counts them. */
async function metered(url: string, admin: string, principalId: string, from: string): Promise<number> {
  const query = new URLSearchParams({
    from,
    to: new Date(Date.now() + 3_600_000).toISOString(),
    granularity: 'day',
    groupBy: 'principal',
  });
  const response = await fetch(`${url}/v1/admin/usage?${query.toString()}`, { headers: { 'x-api-key': admin } });
  const body = (await response.json()) as { items: { principalId?: string; requests: number }[] };
  return body.items.filter((item) => item.principalId === principalId).reduce((sum, item) => sum + item.requests, 0);
}

/**
 * Clients as real ones are: `connections` keep-alive connections, each sending the next request as soon
 * as the last is answered, until stopped; every outcome counted (an HTTP status, or the socket error).
 */
function startLoad(url: string, key: string, connections: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const outcomes = new Map<string, number>();
  let running = true;
  const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  const once = () =>
    new Promise<void>((resolve) => {
      const call = request(
        `${url}/v1/models/iris/predict`,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(IRIS), 'x-api-key': key },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            count(String(response.statusCode));
            resolve();
          });
          response.on('error', (error) => {
            count(`response ${error.message}`);
            resolve();
          });
        },
      );
      call.on('error', (error: NodeJS.ErrnoException) => {
        count(`request ${error.code ?? error.message}`);
        resolve();
      });
      call.end(IRIS);
    });
  const loops = Array.from({ length: connections }, async () => {
    while (running) await once();
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

/** How many times HAProxy has reported the server UP (it logs state changes on stderr). */
function upReports(balancer: LoadBalancer, server: string): number {
  return balancer.output().split('\n').filter((line) => line.includes(`${server} is UP`)).length;
}

describe.skipIf(!process.env.DATABASE_URL || !haproxyInstalled())('Three instances behind HAProxy', () => {
  const ports: number[] = [];
  const instances: ServerProcess[] = [];
  let balancer: LoadBalancer;
  let admin: string;

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) ports.push(await freePort());
    instances.push(...(await Promise.all(ports.map((port) => startServerProcess(env(), { port })))));
    balancer = await startHaproxy(ports);
    admin = createAdminKey();
    // HAProxy starts with its servers up; a few checks in, each has answered ready.
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }, 120_000);

  afterAll(async () => {
    await balancer?.stop();
    await Promise.all(instances.map((instance) => instance.stop()));
  });

  it('should restart every instance under load without failing a request or losing a usage event', async () => {
    const partner = await issueKey(balancer.url, admin, { rateLimit: { requestsPerMinute: 10_000_000 } });
    const from = new Date(Date.now() - 60_000).toISOString();
    const load = startLoad(balancer.url, partner.key, 8);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      for (let i = 0; i < instances.length; i++) {
        const name = `instance${i + 1}`;
        const upBefore = upReports(balancer, name);
        // SIGTERM: not ready at once, serving for DRAIN_MS (HAProxy takes it out), then closing; NestJS
        // re-raises the signal once it has shut down.
        expect(await instances[i].stop()).toBe('SIGTERM');
        instances[i] = await startServerProcess(env(), { port: ports[i] });
        // Back in rotation before the next goes (as a rolling update waits for readiness).
        await eventually(() => Promise.resolve(upReports(balancer, name) > upBefore), 15_000);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      await load.stop();
    }
    const outcomes = Object.fromEntries(load.outcomes);
    const answered = [...load.outcomes.values()].reduce((sum, count) => sum + count, 0);
    expect(answered).toBeGreaterThan(500);
    expect(outcomes, balancer.output()).toEqual({ '200': answered });
    // Every response metered once, by whichever instance served it (some of them since restarted).
    await eventually(async () => (await metered(balancer.url, admin, partner.id, from)) >= answered, 15_000);
    expect(await metered(balancer.url, admin, partner.id, from)).toBe(answered);
  }, 180_000);

  it('should hold one rate limit across the instances', async () => {
    const limited = await issueKey(balancer.url, admin, { rateLimit: { requestsPerMinute: 30 } });
    const statuses: number[] = [];
    // Round robin: every instance takes a share of them.
    for (let i = 0; i < 45; i++) statuses.push(await predict(balancer.url, limited.key));
    expect(statuses.filter((status) => status === 200)).toHaveLength(30);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
  }, 60_000);

  it('should make a revocation effective on every instance within 5 seconds', async () => {
    const doomed = await issueKey(balancer.url, admin, {});
    for (const instance of instances) expect(await predict(instance.url, doomed.key)).toBe(200);
    const revoked = await fetch(`${balancer.url}/v1/admin/api-keys/${doomed.id}`, {
      method: 'DELETE',
      headers: { 'x-api-key': admin },
    });
    expect(revoked.status).toBe(204);
    const elapsed = await Promise.all(
      instances.map((instance) =>
        eventually(async () => (await predict(instance.url, doomed.key)) === 401, 5_000),
      ),
    );
    expect(Math.max(...elapsed)).toBeLessThanOrEqual(5_000);
  }, 60_000);
});
