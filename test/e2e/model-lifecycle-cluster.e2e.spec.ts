import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/credentials';
import { copyModels } from '../support/models';
import { DIST_CLI, ServerProcess, startServerProcess } from '../support/server-process';

const withRealPostgres = process.env.DATABASE_URL ? describe : describe.skip;

const PREDICT = JSON.stringify({ instances: [[5.9, 3.0, 5.1, 1.8]] });
const INFER = JSON.stringify({
  inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.9, 3.0, 5.1, 1.8] }],
});

function createAdminKey(): string {
  const result = spawnSync(process.execPath, [DIST_CLI, 'create-admin-key', '--name', 'lifecycle-cluster'], {
    env: { PATH: process.env.PATH, DATABASE_URL: process.env.DATABASE_URL, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  const key = /mg_[A-Za-z0-9_]+/.exec(result.stdout)?.[0];
  if (!key) throw new Error(`create-admin-key failed: ${result.stderr || result.stdout}`);
  return key;
}

/**
 * Two instances on one database and one model repository (as a shared volume), re-scanning it only
 * once a minute: what an admin changes on one reaches the other through the change feed.
 */
withRealPostgres('Model lifecycle on two instances', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let admin: string;

  /**
   * One request on a fresh connection: each instance runs two worker processes, and the cluster hands
   * each new connection to the next one, so that checks reach every process, not the one a pooled
   * connection sticks to.
   */
  const call = (server: ServerProcess, method: string, path: string, key: string, body?: string) =>
    new Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>((resolve, reject) => {
      const sent = request(
        `${server.url}${path}`,
        {
          method,
          agent: false,
          headers: {
            'x-api-key': key,
            ...(body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            const headers = new Headers();
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
            }
            resolve({
              status: response.statusCode ?? 0,
              headers,
              body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
            });
          });
          response.on('error', reject);
        },
      );
      sent.on('error', reject);
      sent.end(body);
    });
  /**
   * Milliseconds from now until `check` holds on every worker process of the instance: the time of the
   * first of eight passes in a row, on fresh connections (round robin over the two workers).
   */
  const everywhere = async (check: () => Promise<boolean>, timeoutMs = 10_000) => {
    const started = Date.now();
    let streakFrom: number | undefined;
    let streak = 0;
    while (Date.now() - started < timeoutMs) {
      const at = Date.now();
      if (await check()) {
        streakFrom ??= at;
        if (++streak === 8) return streakFrom - started;
      } else {
        streakFrom = undefined;
        streak = 0;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error(`not everywhere within ${timeoutMs} ms`);
  };
  const versionOn = async (server: ServerProcess, key: string, path = '/v1/models/iris/predict') => {
    const response = await call(server, 'POST', path, key, PREDICT);
    expect(response.status).toBe(200);
    return response.body.version as string;
  };
  const issue = async (count: number, extra: object = {}) => {
    const keys: { id: string; key: string }[] = [];
    for (let i = 0; i < count; i++) {
      const issued = await call(
        a,
        'POST',
        '/v1/admin/api-keys',
        admin,
        JSON.stringify({ name: `cluster partner ${i}`, scopes: ['models:read', 'models:infer'], ...extra }),
      );
      expect(issued.status).toBe(201);
      keys.push(issued.body as { id: string; key: string });
    }
    return keys;
  };
  const split = (server: ServerProcess, versions: Record<string, number>) =>
    call(server, 'PUT', '/v1/admin/models/iris/aliases/default', admin, JSON.stringify({ versions }));
  /** How long until `server` shows iris's default split as `versions`. */
  const propagated = (server: ServerProcess, versions: Record<string, number> | undefined, defaultVersion: string) =>
    everywhere(async () => {
      const model = (await call(server, 'GET', '/v1/models/iris', admin)).body as {
        trafficSplits?: Record<string, Record<string, number>>;
        defaultVersion: string;
      };
      return (
        JSON.stringify(model.trafficSplits?.default) === JSON.stringify(versions) &&
        model.defaultVersion === defaultVersion
      );
    });
  /** Until every worker of both instances (the editing one's sibling too) shows the split. */
  const propagatedOnBoth = async (versions: Record<string, number> | undefined, defaultVersion: string) =>
    Math.max(...(await Promise.all([a, b].map((server) => propagated(server, versions, defaultVersion)))));
  const usageByPrincipalVersion = async (from: string) => {
    const query = new URLSearchParams({
      from,
      to: new Date(Date.now() + 3_600_000).toISOString(),
      granularity: 'day',
      groupBy: 'principal,version',
      model: 'iris',
    });
    const { body } = await call(b, 'GET', `/v1/admin/usage?${query.toString()}`, admin);
    return (body as { items: { principalId: string; version: string; requests: number }[] }).items;
  };

  beforeAll(async () => {
    const repository = copyModels();
    const env = {
      DATABASE_URL: process.env.DATABASE_URL!,
      MODEL_REPOSITORY: repository,
      MODEL_RESCAN_INTERVAL_MS: '60000',
      WORKERS: '2',
      BOOTSTRAP_ADMIN_KEY: 'false',
      LOG_LEVEL: 'warn',
      USAGE_FLUSH_INTERVAL_MS: '200',
      SHADOW_FLUSH_INTERVAL_MS: '300',
    };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    admin = createAdminKey();
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('should roll a canary out 10% -> 50% -> 100% on both instances within 5 s, each caller on one version everywhere', async () => {
    const from = new Date().toISOString();
    const keys = await issue(24);
    let sent = 0;
    const route = async () => {
      const versions = new Map<string, string>();
      for (const { id, key } of keys) {
        const onA = await versionOn(a, key);
        const onB = await versionOn(b, key);
        const onBv2 = (await call(b, 'POST', '/v2/models/iris/infer', key, INFER)).body.model_version;
        sent += 3;
        expect(new Set([onA, onB, onBv2]).size, 'a caller keeps its version on every instance and surface').toBe(1);
        versions.set(id, onA);
      }
      return versions;
    };
    const canary = (versions: Map<string, string>) =>
      new Set([...versions].filter(([, version]) => version === '2').map(([id]) => id));

    expect((await split(a, { '1': 90, '2': 10 })).status).toBe(200);
    expect(await propagatedOnBoth({ '1': 90, '2': 10 }, '1')).toBeLessThan(5000);
    const ten = canary(await route());
    expect((await split(b, { '1': 50, '2': 50 })).status).toBe(200);
    expect(await propagatedOnBoth({ '1': 50, '2': 50 }, '1')).toBeLessThan(5000);
    const half = await route();
    const fifty = canary(half);
    for (const id of ten) expect(fifty.has(id), 'callers on the canary stay there').toBe(true);
    expect(fifty.size).toBeGreaterThan(0);
    expect(fifty.size).toBeLessThan(keys.length);
    expect((await split(a, { '2': 100 })).status).toBe(200);
    expect(await propagatedOnBoth(undefined, '2')).toBeLessThan(5000);
    expect(canary(await route()).size).toBe(keys.length);

    // Every call metered once, with the version that answered it (rows from both instances).
    await eventually(async () => {
      const rows = (await usageByPrincipalVersion(from)).filter((row) =>
        keys.some((key) => key.id === row.principalId),
      );
      return rows.reduce((sum, row) => sum + row.requests, 0) === sent;
    }, 10_000);
    const rows = (await usageByPrincipalVersion(from)).filter((row) => keys.some((key) => key.id === row.principalId));
    for (const { id } of keys) {
      const own = rows.filter((row) => row.principalId === id);
      const onTwo = own.find((row) => row.version === '2')?.requests ?? 0;
      const onOne = own.find((row) => row.version === '1')?.requests ?? 0;
      expect(onOne + onTwo).toBe(9);
      expect(onTwo).toBe(3 * ((ten.has(id) ? 1 : 0) + (fifty.has(id) ? 1 : 0) + 1));
    }
    expect((await call(a, 'PUT', '/v1/admin/models/iris/aliases/default', admin, '{"version":"stable"}')).status).toBe(
      200,
    );
    await propagatedOnBoth(undefined, '1');
  });

  it('should mirror to the shadow on both instances, unmetered and outside the limits, into one report', async () => {
    const [caller] = await issue(1, { rateLimit: { requestsPerMinute: 10 } });
    const to = () => new Date(Date.now() + 120_000).toISOString();
    const from = new Date(Date.now() - 120_000).toISOString();
    const report = async () =>
      (await call(a, 'GET', `/v1/admin/models/iris/shadow/report?from=${from}&to=${to()}`, admin)).body;
    const before = await call(a, 'GET', `/v1/admin/models/iris/shadow/report?from=${from}&to=${to()}`, admin);
    const baseline = before.status === 200 ? (before.body.requests as number) : 0;
    const expected = (await call(a, 'POST', '/v1/models/iris/versions/1/predict', admin, PREDICT)).body;

    expect((await call(a, 'PUT', '/v1/admin/models/iris/shadow', admin, '{"version":"2","percent":100}')).status).toBe(
      200,
    );
    const shadowSeen = await Promise.all(
      [a, b].map((server) =>
        everywhere(async () => (await call(server, 'GET', '/v1/admin/models/iris/shadow', admin)).status === 200),
      ),
    );
    expect(Math.max(...shadowSeen)).toBeLessThan(5000);
    for (const server of [a, b, a, b, a, b, a, b, a, b]) {
      const answer = await call(server, 'POST', '/v1/models/iris/predict', caller.key, PREDICT);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(expected);
    }
    // Ten calls within a limit of ten on two instances: the shadow runs took none of it.
    expect((await call(b, 'POST', '/v1/models/iris/predict', caller.key, PREDICT)).status).toBe(429);
    await eventually(async () => (await report()).requests === baseline + 10, 10_000).catch(async () => {
      expect(await report(), 'every mirrored call in the report').toMatchObject({ requests: baseline + 10 });
    });
    const figures = await report();
    expect(figures).toMatchObject({ model: 'iris', primaryVersion: '1', shadowVersion: '2', errors: 0 });
    expect(figures.agreement).toEqual(expect.any(Number));

    const query = new URLSearchParams({ from, to: to(), granularity: 'day', groupBy: 'principal,version' });
    await eventually(async () => {
      const { body } = await call(a, 'GET', `/v1/admin/usage?${query.toString()}`, admin);
      const own = (body as { items: { principalId: string; version: string; requests: number }[] }).items.filter(
        (row) => row.principalId === caller.id,
      );
      // Its ten answers by version 1 and its 429 (refused before any version was chosen); none by 2.
      const total = own.reduce((sum, row) => sum + row.requests, 0);
      return (
        total === 11 &&
        own.find((row) => row.version === '1')?.requests === 10 &&
        !own.some((row) => row.version === '2')
      );
    }, 10_000);
    expect((await call(b, 'DELETE', '/v1/admin/models/iris/shadow', admin)).status).toBe(204);
  });

  it('should announce a deprecation made on one instance from the other, then answer 410 there', async () => {
    const [caller] = await issue(1);
    const deprecatedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const sunsetAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 86_400_000);
    const patch = await call(
      a,
      'PATCH',
      '/v1/admin/models/iris/versions/2',
      admin,
      JSON.stringify({ deprecatedAt: deprecatedAt.toISOString(), sunsetAt: sunsetAt.toISOString() }),
    );
    expect(patch.status).toBe(200);
    const took = await everywhere(async () => {
      const response = await call(b, 'POST', '/v1/models/iris/versions/2/predict', caller.key, PREDICT);
      return response.headers.get('deprecation') === `@${deprecatedAt.getTime() / 1000}`;
    });
    expect(took).toBeLessThan(5000);
    const announced = await call(b, 'POST', '/v2/models/iris/versions/2/infer', caller.key, INFER);
    expect(announced.headers.get('sunset')).toBe(sunsetAt.toUTCString());
    expect(announced.headers.get('link')).toContain('rel="sunset"');

    const gone = JSON.stringify({ sunsetAt: new Date(Date.now() - 1000).toISOString() });
    expect((await call(a, 'PATCH', '/v1/admin/models/iris/versions/2', admin, gone)).status).toBe(200);
    expect(
      await everywhere(
        async () => (await call(b, 'POST', '/v1/models/iris/versions/2/predict', caller.key, PREDICT)).status === 410,
      ),
    ).toBeLessThan(5000);
    const refused = await call(b, 'POST', '/v1/models/iris/versions/2/predict', caller.key, PREDICT);
    expect(refused.body).toMatchObject({ status: 410, code: 'model_version_sunset' });
    // Who still calls the deprecated version: the usage report, filtered to it.
    const query = new URLSearchParams({
      from: new Date(Date.now() - 600_000).toISOString(),
      to: new Date(Date.now() + 3_600_000).toISOString(),
      groupBy: 'principal',
      model: 'iris',
      version: '2',
    });
    await eventually(async () => {
      const { body } = await call(a, 'GET', `/v1/admin/usage?${query.toString()}`, admin);
      return (body as { items: { principalId: string }[] }).items.some((row) => row.principalId === caller.id);
    }, 10_000);
    const cleared = JSON.stringify({ deprecatedAt: null, sunsetAt: null });
    expect((await call(b, 'PATCH', '/v1/admin/models/iris/versions/2', admin, cleared)).status).toBe(200);
    expect(
      await everywhere(
        async () => (await call(a, 'POST', '/v1/models/iris/versions/2/predict', caller.key, PREDICT)).status === 200,
      ),
    ).toBeLessThan(5000);
  });
});
