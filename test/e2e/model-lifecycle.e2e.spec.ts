import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShadowRunner } from '../../src/model-registry/shadow/shadow-runner.service';
import { UsageRecorder } from '../../src/usage/usage-recorder.service';
import { createAdminKey, eventually, issueApiKey } from '../support/credentials';
import { inferenceRequests, InferenceServer, startInferenceServer } from '../support/inference-server';
import { copyModels } from '../support/models';
import { startTestApp, TestApp } from '../support/test-app';

const ROW = [5.9, 3.0, 5.1, 1.8];
const PREDICT = { instances: [ROW] };
const INFER = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: ROW }] };

/** An admin answer's body: the fields the tests read. */
interface Body {
  code?: string;
  requests?: number;
  errors?: number;
  version?: string;
  deprecatedAt?: string | null;
  sunsetAt?: string | null;
  trafficSplits?: Record<string, Record<string, number>>;
  items?: { principalId?: string; version?: string; requests: number; errors: number; p95LatencyMs: number }[];
  agreement?: number | null;
  meanAbsoluteDifference?: number | null;
  primaryP95LatencyMs?: number | null;
  shadowP95LatencyMs?: number | null;
}

interface Predicted {
  model: string;
  version: string;
  outputs: Record<string, unknown>;
  predictions?: { label: string; score: number }[];
}

describe('Model lifecycle: traffic splits, shadow traffic, deprecation', () => {
  let fixture: InferenceServer;
  let server: TestApp;
  let admin: string;
  const { post, get, upload } = inferenceRequests(() => fixture);

  const adminCall = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'x-api-key': admin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as Body };
  };
  const partners = async (count: number, extra: object = {}) =>
    Promise.all(
      Array.from(
        { length: count },
        async (_, i) =>
          await issueApiKey(server, admin, { name: `partner ${i}`, scopes: ['models:read', 'models:infer'], ...extra }),
      ),
    );
  const usage = async (query: Record<string, string>) => {
    await server.app.get(UsageRecorder).flush(true);
    const params = new URLSearchParams({
      from: new Date(Date.now() - 3_600_000).toISOString(),
      to: new Date(Date.now() + 3_600_000).toISOString(),
      granularity: 'day',
      ...query,
    });
    return (await adminCall('GET', `/v1/admin/usage?${params.toString()}`)).body as {
      items: { principalId?: string; version?: string; requests: number; errors: number; p95LatencyMs: number }[];
    };
  };

  /** The shadow report's counts so far (zeros when there is none): rows of earlier runs on the same database add up. */
  const shadowCounts = async (model: string, from: string) => {
    const { status, body } = await adminCall('GET', `/v1/admin/models/${model}/shadow/report?from=${from}`);
    return status === 200 ? { requests: body.requests ?? 0, errors: body.errors ?? 0 } : { requests: 0, errors: 0 };
  };

  beforeAll(async () => {
    fixture = await startInferenceServer();
    ({ server, admin } = fixture);
  });

  afterAll(async () => {
    await server.close();
  });

  describe('traffic splits', () => {
    it('should refuse splits that do not sum to 100, name missing versions or mix both forms', async () => {
      const put = (body: unknown) => adminCall('PUT', '/v1/admin/models/iris/aliases/default', body);
      expect(await put({ versions: { '1': 90, '2': 9 } })).toMatchObject({
        status: 400,
        body: { code: 'validation_failed' },
      });
      expect(await put({ versions: { '1': 89.5, '2': 10.5 } })).toMatchObject({ status: 400 });
      expect(await put({ versions: { '1': 90, '9': 10 } })).toMatchObject({
        status: 404,
        body: { code: 'version_not_found' },
      });
      expect(await put({ versions: { '1': 90, '2': 10 }, version: '1' })).toMatchObject({ status: 400 });
      expect(await put({ versions: ['1', '2'] })).toMatchObject({ status: 400 });
      expect(await put({})).toMatchObject({ status: 400 });
    });

    it('should route by weight, sticky per caller on /v1 and /v2, and meter the answering version', async () => {
      const split = await adminCall('PUT', '/v1/admin/models/iris/aliases/default', { versions: { '1': 50, '2': 50 } });
      expect(split.status).toBe(200);
      expect(split.body).toMatchObject({ trafficSplits: { default: { '1': 50, '2': 50 } }, defaultVersion: '1' });
      const keys = await partners(12);
      const versionOf = new Map<string, string>();
      for (const { id, key } of keys) {
        const seen = new Set<string>();
        for (let i = 0; i < 3; i++) {
          const v1 = await post('/v1/models/iris/predict', PREDICT, key);
          expect(v1.status).toBe(200);
          seen.add(((await v1.json()) as Predicted).version);
          const v2 = await post('/v2/models/iris/infer', INFER, key);
          expect(v2.status).toBe(200);
          seen.add(((await v2.json()) as { model_version: string }).model_version);
        }
        expect(seen.size, 'a caller keeps its version').toBe(1);
        versionOf.set(id, [...seen][0]);
      }
      expect(new Set(versionOf.values())).toEqual(new Set(['1', '2']));
      const { items } = await usage({ groupBy: 'principal,version', model: 'iris' });
      for (const [id, version] of versionOf) {
        const rows = items.filter((item) => item.principalId === id);
        expect(rows).toEqual([expect.objectContaining({ version, requests: 6, errors: 0 })]);
      }
      const { items: byVersion } = await usage({ groupBy: 'version', model: 'iris' });
      expect(byVersion.map((item) => item.version)).toEqual(expect.arrayContaining(['1', '2']));
      for (const item of byVersion) expect(item.p95LatencyMs).toBeGreaterThan(0);
    });

    it('should roll a canary out 10% -> 50% -> 100% without moving a caller back', async () => {
      const keys = await partners(30);
      const onCanary = async () => {
        const canary = new Set<string>();
        for (const { id, key } of keys) {
          const body = (await (await post('/v1/models/iris/predict', PREDICT, key)).json()) as Predicted;
          if (body.version === '2') canary.add(id);
        }
        return canary;
      };
      const roll = (weight: number) =>
        adminCall('PUT', '/v1/admin/models/iris/aliases/default', { versions: { '1': 100 - weight, '2': weight } });
      expect((await roll(10)).status).toBe(200);
      const ten = await onCanary();
      expect((await roll(50)).status).toBe(200);
      const fifty = await onCanary();
      for (const id of ten) expect(fifty.has(id)).toBe(true);
      expect(fifty.size).toBeGreaterThan(ten.size);
      const full = await roll(100);
      expect(full.body).toMatchObject({ defaultVersion: '2', aliases: {} });
      expect(full.body.trafficSplits).toBeUndefined();
      expect((await onCanary()).size).toBe(keys.length);
      const config = JSON.parse(readFileSync(join(fixture.repository, 'iris', 'config.json'), 'utf8')) as {
        aliases: Record<string, unknown>;
      };
      expect(config.aliases.default).toBe(2);
      // Back to the committed default for the tests below.
      expect((await adminCall('PUT', '/v1/admin/models/iris/aliases/default', { version: 'stable' })).status).toBe(200);
    });

    it('should split a named alias too, with its split in config.json', async () => {
      const put = await adminCall('PUT', '/v1/admin/models/iris/aliases/canary', { versions: { '1': 70, '2': 30 } });
      expect(put).toMatchObject({
        status: 200,
        body: { aliases: { canary: '1' }, trafficSplits: { canary: { '1': 70, '2': 30 } } },
      });
      const config = JSON.parse(readFileSync(join(fixture.repository, 'iris', 'config.json'), 'utf8')) as {
        aliases: Record<string, unknown>;
      };
      expect(config.aliases.canary).toEqual({ versions: { '1': 70, '2': 30 } });
      const response = await post('/v1/models/iris/versions/canary/predict', PREDICT);
      expect(response.status).toBe(200);
      expect(['1', '2']).toContain(((await response.json()) as Predicted).version);
      expect((await adminCall('PUT', '/v1/admin/models/iris/aliases/canary', { version: 2 })).status).toBe(200);
    });
  });

  describe('shadow traffic', () => {
    it('should mirror default-routed calls after the answer, unchanged, unmetered, and report the comparison', async () => {
      const [caller] = await partners(1, { rateLimit: { requestsPerMinute: 12 } });
      const before = (await (await post('/v1/models/iris/versions/1/predict', PREDICT)).json()) as Predicted;
      expect(await adminCall('GET', '/v1/admin/models/iris/shadow')).toMatchObject({
        status: 404,
        body: { code: 'shadow_not_found' },
      });
      expect(await adminCall('PUT', '/v1/admin/models/iris/shadow', { version: '9', percent: 20 })).toMatchObject({
        status: 404,
      });
      expect(await adminCall('PUT', '/v1/admin/models/iris/shadow', { version: '2', percent: 0 })).toMatchObject({
        status: 400,
      });
      const from = new Date(Date.now() - 60_000).toISOString();
      const baseline = await shadowCounts('iris', from);
      const put = await adminCall('PUT', '/v1/admin/models/iris/shadow', { version: '2', percent: 100 });
      expect(put).toMatchObject({ status: 200, body: { model: 'iris', version: '2', percent: 100 } });
      expect(await adminCall('GET', '/v1/admin/models/iris/shadow')).toMatchObject({
        status: 200,
        body: { version: '2' },
      });

      for (let i = 0; i < 10; i++) {
        const response = await post('/v1/models/iris/predict', PREDICT, caller.key);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual(before);
      }
      // Pinned versions are not default-routed: not mirrored.
      for (let i = 0; i < 2; i++)
        expect((await post('/v1/models/iris/versions/1/predict', PREDICT, caller.key)).status).toBe(200);
      // The limit counts the caller's 12 calls only, not the shadow runs.
      expect((await post('/v1/models/iris/predict', PREDICT, caller.key)).status).toBe(429);

      const runner = server.app.get(ShadowRunner);
      await eventually(() => Promise.resolve(runner.idle), 5000);
      await runner.flush();
      const report = await adminCall(
        'GET',
        `/v1/admin/models/iris/shadow/report?from=${from}&to=${new Date(Date.now() + 60_000).toISOString()}`,
      );
      expect(report.status).toBe(200);
      expect(report.body).toMatchObject({
        model: 'iris',
        primaryVersion: '1',
        shadowVersion: '2',
        requests: baseline.requests + 10,
        errors: baseline.errors,
      });
      expect(report.body.agreement).toBeGreaterThanOrEqual(0);
      expect(report.body.agreement).toBeLessThanOrEqual(1);
      expect(report.body.meanAbsoluteDifference).toBeGreaterThanOrEqual(0);
      expect(report.body.primaryP95LatencyMs).toBeGreaterThan(0);
      expect(report.body.shadowP95LatencyMs).toBeGreaterThan(0);

      // Metered: the caller's 12 answers and its 429, nothing for the shadow runs.
      const { items } = await usage({ groupBy: 'principal,version' });
      const mine = items.filter((item) => item.principalId === caller.id);
      expect(mine.reduce((sum, item) => sum + item.requests, 0)).toBe(13);
      expect(mine.find((item) => item.version === '2')).toBeUndefined();

      expect((await adminCall('DELETE', '/v1/admin/models/iris/shadow')).status).toBe(204);
      expect((await adminCall('DELETE', '/v1/admin/models/iris/shadow')).status).toBe(404);
      // The report still answers for the figures gathered (the shadow version they name).
      const after = await adminCall('GET', `/v1/admin/models/iris/shadow/report?from=${from}`);
      expect(after).toMatchObject({ status: 200, body: { shadowVersion: '2', requests: baseline.requests + 10 } });
      expect((await adminCall('GET', '/v1/admin/models/penguin-sex/shadow/report')).status).toBe(404);
    });

    it('should compare a model without class labels by difference only (agreement null)', async () => {
      const bytes = readFileSync(join(fixture.repository, 'mlp', '1', 'model.onnx'));
      expect((await upload('mlp', '2', bytes)).status).toBe(201);
      // Without a default alias `latest` (now 2) answers: keep the callers on 1.
      expect((await adminCall('PUT', '/v1/admin/models/mlp/aliases/default', { version: 1 })).status).toBe(200);
      const from = new Date(Date.now() - 60_000).toISOString();
      const baseline = await shadowCounts('mlp', from);
      expect((await adminCall('PUT', '/v1/admin/models/mlp/shadow', { version: 2, percent: 100 })).status).toBe(200);
      for (let i = 0; i < 3; i++) {
        const response = await post('/v1/models/mlp/predict', { instances: [Array.from({ length: 784 }, () => 0.5)] });
        expect(response.status).toBe(200);
        expect(((await response.json()) as Predicted).version).toBe('1');
      }
      const runner = server.app.get(ShadowRunner);
      await eventually(() => Promise.resolve(runner.idle), 5000);
      await runner.flush();
      const report = await adminCall('GET', `/v1/admin/models/mlp/shadow/report?from=${from}`);
      expect(report).toMatchObject({
        status: 200,
        body: {
          primaryVersion: '1',
          shadowVersion: '2',
          requests: baseline.requests + 3,
          errors: baseline.errors,
          agreement: null,
          meanAbsoluteDifference: 0,
        },
      });
      expect((await adminCall('DELETE', '/v1/admin/models/mlp/shadow')).status).toBe(204);
    });
  });

  describe('deprecation and sunset', () => {
    it('should announce a deprecated version on /v1 and /v2, then answer 410 after its sunset', async () => {
      expect(await adminCall('PATCH', '/v1/admin/models/iris/versions/2', { deprecatedAt: 'yesterday' })).toMatchObject(
        { status: 400 },
      );
      expect(
        await adminCall('PATCH', '/v1/admin/models/iris/versions/2', {
          deprecatedAt: '2026-06-01T00:00:00Z',
          sunsetAt: '2026-05-01T00:00:00Z',
        }),
      ).toMatchObject({ status: 400 });
      expect(await adminCall('PATCH', '/v1/admin/models/iris/versions/9', { deprecatedAt: null })).toMatchObject({
        status: 404,
      });

      const deprecatedAt = new Date(Date.now() - 86_400_000);
      deprecatedAt.setUTCMilliseconds(0);
      const sunsetAt = new Date(Date.now() + 30 * 86_400_000);
      sunsetAt.setUTCMilliseconds(0);
      const patch = await adminCall('PATCH', '/v1/admin/models/iris/versions/2', {
        deprecatedAt: deprecatedAt.toISOString(),
        sunsetAt: sunsetAt.toISOString(),
      });
      expect(patch).toMatchObject({
        status: 200,
        body: { version: '2', deprecatedAt: deprecatedAt.toISOString(), sunsetAt: sunsetAt.toISOString() },
      });
      const detail = (await (await get('/v1/models/iris')).json()) as {
        versionDetails: { version: string; deprecatedAt: string | null; sunsetAt: string | null }[];
      };
      expect(detail.versionDetails).toEqual([
        expect.objectContaining({ version: '1', deprecatedAt: null, sunsetAt: null }),
        expect.objectContaining({
          version: '2',
          deprecatedAt: deprecatedAt.toISOString(),
          sunsetAt: sunsetAt.toISOString(),
        }),
      ]);

      const v1 = await post('/v1/models/iris/versions/2/predict', PREDICT);
      expect(v1.status).toBe(200);
      expect(v1.headers.get('deprecation')).toBe(`@${deprecatedAt.getTime() / 1000}`);
      expect(v1.headers.get('sunset')).toBe(sunsetAt.toUTCString());
      expect(v1.headers.get('link')).toContain('</v1/models/iris>; rel="sunset"');
      expect(v1.headers.get('link')).toContain('rel="successor-version"');
      const v2 = await post('/v2/models/iris/versions/2/infer', INFER);
      expect(v2.status).toBe(200);
      expect(v2.headers.get('deprecation')).toBe(`@${deprecatedAt.getTime() / 1000}`);
      expect(v2.headers.get('sunset')).toBe(sunsetAt.toUTCString());
      const other = await post('/v1/models/iris/versions/1/predict', PREDICT);
      expect(other.headers.get('deprecation')).toBeNull();
      expect(other.headers.get('sunset')).toBeNull();

      const document = (await (await fetch(`${server.url}/docs/openapi.json`)).json()) as {
        paths: Record<string, { post?: { deprecated?: boolean; operationId: string } }>;
      };
      expect(document.paths['/v1/models/iris/versions/2/predict'].post).toMatchObject({
        deprecated: true,
        operationId: 'predict_iris_v2',
      });
      expect(document.paths['/v2/models/iris/versions/2/infer'].post?.deprecated).toBe(true);
      expect(document.paths['/v1/models/iris/versions/1/predict'].post?.deprecated).toBeUndefined();
      expect(document.paths['/v1/models/iris/predict'].post?.deprecated).toBeUndefined();

      // Who still calls it: the usage report, filtered to the version.
      const { items } = await usage({ groupBy: 'principal', model: 'iris', version: '2' });
      expect(items.length).toBeGreaterThan(0);

      const gone = await adminCall('PATCH', '/v1/admin/models/iris/versions/2', {
        sunsetAt: new Date(Date.now() - 1000).toISOString(),
        deprecatedAt: null,
      });
      expect(gone.status).toBe(200);
      const refused = await post('/v1/models/iris/versions/2/predict', PREDICT);
      expect(refused.status).toBe(410);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(await refused.json()).toMatchObject({ status: 410, code: 'model_version_sunset' });
      const refusedV2 = await post('/v2/models/iris/versions/2/infer', INFER);
      expect(refusedV2.status).toBe(410);
      expect(Object.keys((await refusedV2.json()) as object)).toEqual(['error']);
      const retired = (await (await fetch(`${server.url}/docs/openapi.json`)).json()) as {
        paths: Record<string, unknown>;
      };
      expect(retired.paths['/v1/models/iris/versions/2/predict']).toBeUndefined();
      expect(retired.paths['/v1/models/iris/versions/1/predict']).toBeDefined();

      const cleared = await adminCall('PATCH', '/v1/admin/models/iris/versions/2', { sunsetAt: null });
      expect(cleared.body).toMatchObject({ deprecatedAt: null, sunsetAt: null });
      expect((await post('/v1/models/iris/versions/2/predict', PREDICT)).status).toBe(200);
    });
  });
  describe('deprecation over time', () => {
    it('should retire a version when its sunset passes, in answers and in the OpenAPI document', async () => {
      const sunsetAt = new Date(Date.now() + 1500).toISOString();
      expect((await adminCall('PATCH', '/v1/admin/models/iris/versions/2', { sunsetAt })).status).toBe(200);
      const paths = async () =>
        ((await (await fetch(`${server.url}/docs/openapi.json`)).json()) as { paths: Record<string, unknown> }).paths;
      expect((await paths())['/v1/models/iris/versions/2/predict']).toBeDefined();
      expect((await post('/v1/models/iris/versions/2/predict', PREDICT)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect((await post('/v1/models/iris/versions/2/predict', PREDICT)).status).toBe(410);
      expect((await paths())['/v1/models/iris/versions/2/predict']).toBeUndefined();
      expect((await adminCall('PATCH', '/v1/admin/models/iris/versions/2', { sunsetAt: null })).status).toBe(200);
    });
  });

  describe('audit', () => {
    it('should record every lifecycle change with before and after', async () => {
      const events = async (query: string) =>
        (
          (await adminCall('GET', `/v1/admin/audit-events?${query}&limit=100`)).body as unknown as {
            items: { action: string; target: { type: string; id: string }; changes?: Record<string, unknown> }[];
          }
        ).items;
      expect(
        (await adminCall('PUT', '/v1/admin/models/iris/aliases/canary', { versions: { '1': 80, '2': 20 } })).status,
      ).toBe(200);
      const [alias] = await events('targetId=iris/canary');
      expect(alias).toMatchObject({
        action: 'alias.updated',
        target: { type: 'alias', id: 'iris/canary' },
        changes: { version: { after: { versions: { '1': 80, '2': 20 } } } },
      });
      expect((await adminCall('PUT', '/v1/admin/models/iris/shadow', { version: 2, percent: 5 })).status).toBe(200);
      expect((await adminCall('DELETE', '/v1/admin/models/iris/shadow')).status).toBe(204);
      const shadow = (await events('targetId=iris')).filter((event) => event.action === 'model.shadow_updated');
      expect(shadow.slice(0, 2)).toEqual([
        expect.objectContaining({ changes: { shadow: { before: { version: 2, percent: 5 }, after: null } } }),
        expect.objectContaining({ changes: { shadow: { before: null, after: { version: 2, percent: 5 } } } }),
      ]);
      const at = '2030-01-01T00:00:00.000Z';
      expect((await adminCall('PATCH', '/v1/admin/models/iris/versions/1', { deprecatedAt: at })).status).toBe(200);
      expect((await adminCall('PATCH', '/v1/admin/models/iris/versions/1', { deprecatedAt: null })).status).toBe(200);
      const [cleared, set] = (await events('targetId=iris/1')).filter(
        (event) => event.action === 'model_version.updated',
      );
      expect(set.changes).toEqual({ deprecatedAt: { before: null, after: at } });
      expect(cleared.changes).toEqual({ deprecatedAt: { before: at, after: null } });
      // A refused change records nothing.
      const before = (await events('targetId=iris/canary')).length;
      expect((await adminCall('PUT', '/v1/admin/models/iris/aliases/canary', { versions: { '1': 1 } })).status).toBe(
        400,
      );
      expect(await events('targetId=iris/canary')).toHaveLength(before);
    });
  });

  describe('a full shadow queue', () => {
    it('should drop the shadow runs that do not fit, count them, and answer every caller', async () => {
      const repository = copyModels();
      mkdirSync(join(repository, 'mlp', '2'));
      copyFileSync(join(repository, 'mlp', '1', 'model.onnx'), join(repository, 'mlp', '2', 'model.onnx'));
      const small = await startTestApp({ MODEL_REPOSITORY: repository, SHADOW_QUEUE_SIZE: '1' });
      try {
        const key = await createAdminKey(small);
        const put = (path: string, body: object) =>
          fetch(`${small.url}${path}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json', 'x-api-key': key },
            body: JSON.stringify(body),
          });
        expect((await put('/v1/admin/models/mlp/aliases/default', { version: 1 })).status).toBe(200);
        expect((await put('/v1/admin/models/mlp/shadow', { version: 2, percent: 100 })).status).toBe(200);
        const body = JSON.stringify({ instances: [Array.from({ length: 784 }, (_, i) => (i % 10) / 10)] });
        const answers = await Promise.all(
          Array.from({ length: 40 }, async () => {
            const response = await fetch(`${small.url}/v1/models/mlp/predict`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-api-key': key },
              body,
            });
            return { status: response.status, version: ((await response.json()) as Predicted).version };
          }),
        );
        expect(answers.every((answer) => answer.status === 200 && answer.version === '1')).toBe(true);
        await eventually(() => Promise.resolve(small.app.get(ShadowRunner).idle), 10_000);
        const metrics = await (await fetch(`${small.url}/metrics`)).text();
        const count = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? 0);
        const dropped = count(/^modelgate_shadow_dropped_total\{model="mlp"\} (\d+)/m);
        const ran =
          count(/^modelgate_shadow_runs_total\{model="mlp",outcome="ok"\} (\d+)/m) +
          count(/^modelgate_shadow_runs_total\{model="mlp",outcome="error"\} (\d+)/m);
        expect(dropped).toBeGreaterThan(0);
        expect(ran).toBeGreaterThan(0);
        expect(dropped + ran).toBe(40);
      } finally {
        await small.close();
      }
    });
  });
});
