import SwaggerParser from '@apidevtools/swagger-parser';
import { onnx } from 'onnx-proto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, issueApiKey } from '../support/credentials';
import { inferenceRequests, InferenceServer, startInferenceServer } from '../support/inference-server';
import { addModel } from '../support/models';
import { TestApp } from '../support/test-app';

const { DataType } = onnx.TensorProto;

describe('Model administration: access, repository changes, OpenAPI', () => {
  let fixture: InferenceServer;
  let server: TestApp;
  let repository: string;
  let admin: string;
  const { post, get, upload } = inferenceRequests(() => fixture);

  beforeAll(async () => {
    fixture = await startInferenceServer();
    ({ server, repository, admin } = fixture);
  });

  afterAll(async () => {
    await server.close();
  });

  describe('access control', () => {
    it('should hide models outside the allow-list everywhere (404)', async () => {
      const irisOnly = (
        await issueApiKey(server, admin, { scopes: ['models:read', 'models:infer'], models: ['iris', 'penguin-*'] })
      ).key;
      const { models } = (await (await get('/v1/models', irisOnly)).json()) as { models: { name: string }[] };
      expect(models.map((model) => model.name).sort()).toEqual(['iris', 'penguin-sex']);
      expect((await get('/v1/models/mlp', irisOnly)).status).toBe(404);
      expect((await post('/v1/models/mlp/predict', { instances: [[1]] }, irisOnly)).status).toBe(404);
      expect((await get('/v2/models/mlp', irisOnly)).status).toBe(404);
      expect((await post('/v2/models/mlp/infer', { inputs: [] }, irisOnly)).status).toBe(404);
      expect((await post('/v1/models/iris/predict', { instances: [[1, 2, 3, 4]] }, irisOnly)).status).toBe(200);
    });

    it('should need models:infer to predict and models:manage to upload', async () => {
      const reader = (await issueApiKey(server, admin, { scopes: ['models:read'] })).key;
      expect((await post('/v1/models/iris/predict', { instances: [[1, 2, 3, 4]] }, reader)).status).toBe(403);
      const response = await fetch(`${server.url}/v1/admin/models/iris/versions/9`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'x-api-key': reader },
        body: new Uint8Array([1, 2, 3]),
      });
      expect(response.status).toBe(403);
    });
  });

  describe('repository changes', () => {
    /** The version's state once it is listed (a new version is LOADING until its session is up). */
    const versionState = async (model: string, version: number): Promise<string | undefined> => {
      const response = await get(`/v1/models/${model}/versions/${version}`);
      if (response.status !== 200) return undefined;
      return ((await response.json()) as { versionDetails: { state: string }[] }).versionDetails[0]?.state;
    };

    it('should serve a version copied into the repository without a restart, and never let a broken one replace it', async () => {
      mkdirSync(join(repository, 'iris', '3'));
      writeFileSync(
        join(repository, 'iris', '3', 'model.onnx'),
        readFileSync(join(repository, 'iris', '2', 'model.onnx')),
      );
      await eventually(async () => (await versionState('iris', 3)) === 'READY', 5000);
      const hot = await post('/v1/models/iris/versions/3/predict', { instances: [[5.1, 3.5, 1.4, 0.2]] });
      expect(await hot.json()).toMatchObject({ version: '3', predictions: [{ label: 'setosa' }] });

      mkdirSync(join(repository, 'iris', '4'));
      writeFileSync(join(repository, 'iris', '4', 'model.onnx'), 'this is not an ONNX model');
      await eventually(async () => (await versionState('iris', 4)) === 'FAILED', 5000);
      const broken = (await (await get('/v1/models/iris/versions/4')).json()) as {
        versionDetails: { state: string; error?: string }[];
      };
      expect(broken.versionDetails[0].state).toBe('FAILED');
      expect(broken.versionDetails[0].error).toBeTruthy();
      const latest = (await (await get('/v1/models/iris/versions/latest')).json()) as {
        versionDetails: { version: string }[];
      };
      expect(latest.versionDetails[0].version).toBe('3');
      const notReady = await post('/v1/models/iris/versions/4/predict', { instances: [[5.1, 3.5, 1.4, 0.2]] });
      expect(notReady.status).toBe(503);
      expect(notReady.headers.get('retry-after')).toBe('5');
      expect((await post('/v1/models/iris/predict', { instances: [[5.1, 3.5, 1.4, 0.2]] })).status).toBe(200);
    });

    it('should refuse an upload ONNX Runtime cannot load and leave the serving versions untouched', async () => {
      const response = await upload('iris', '7', new TextEncoder().encode('garbage'));
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'invalid_model' });
      expect((await get('/v1/models/iris/versions/7')).status).toBe(404);
      expect((await post('/v1/models/iris/predict', { instances: [[5.1, 3.5, 1.4, 0.2]] })).status).toBe(200);
    });

    it('should publish a valid upload, refuse it twice, and validate names', async () => {
      const created = await upload('adder', '1', addModel(DataType.FLOAT, ['batch', 2]));
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({
        version: '1',
        state: 'READY',
        inputs: [{ name: 'a' }, { name: 'b' }],
      });
      expect(
        await (await post('/v1/models/adder/predict', { inputs: { a: [[1, 2]], b: [[3, 4]] } })).json(),
      ).toMatchObject({ outputs: { sum: [[4, 6]] } });
      expect((await upload('adder', '1', addModel(DataType.FLOAT, ['batch', 2]))).status).toBe(409);
      for (const [name, version] of [
        ['..%2F..%2Fetc', '1'],
        ['UPPER', '1'],
        ['adder', '0'],
        ['adder', 'x1'],
      ]) {
        expect((await upload(name, version, addModel(DataType.FLOAT, ['batch', 2]))).status, `${name}/${version}`).toBe(
          400,
        );
      }
      const json = await fetch(`${server.url}/v1/admin/models/adder/versions/2`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-api-key': admin },
        body: '{}',
      });
      expect(json.status).toBe(415);
    });

    it('should unload, load, point aliases and delete versions', async () => {
      const admin_ = (path: string, method = 'POST', body?: unknown) =>
        fetch(`${server.url}/v1/admin/models/${path}`, {
          method,
          headers: { 'x-api-key': admin, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
      // add-i32 exists only in this file's repository: loads and unloads reach every instance on the
      // database, those of other test files included.
      const add = { inputs: { a: [[1, 2]], b: [[3, 4]] } };
      expect(await (await admin_('add-i32/versions/1/unload')).json()).toMatchObject({ state: 'UNAVAILABLE' });
      expect((await post('/v1/models/add-i32/versions/1/predict', add)).status).toBe(503);
      expect(await (await admin_('add-i32/versions/1/load')).json()).toMatchObject({ state: 'READY' });
      expect((await post('/v1/models/add-i32/versions/1/predict', add)).status).toBe(200);

      expect(await (await admin_('iris/aliases/stable', 'PUT', { version: 2 })).json()).toMatchObject({
        defaultVersion: '2',
        aliases: { stable: '2' },
      });
      expect(await (await post('/v1/models/iris/predict', { instances: [[5.1, 3.5, 1.4, 0.2]] })).json()).toMatchObject(
        { version: '2' },
      );
      expect((await admin_('iris/aliases/stable', 'PUT', { version: 42 })).status).toBe(404);

      // A version that an alias, a split or the shadow names is not deleted: its callers would get 404.
      const refused = async (version: string, naming: string[]) => {
        const response = await admin_(`iris/versions/${version}`, 'DELETE');
        expect(response.status).toBe(409);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const problem = (await response.json()) as { code: string; detail: string };
        expect(problem.code).toBe('version_in_use');
        for (const name of naming) expect(problem.detail).toContain(name);
        expect((await get(`/v1/models/iris/versions/${version}`)).status).toBe(200);
      };
      await refused('2', ['alias "stable"', 'alias "canary"']);
      expect((await post('/v1/models/iris/predict', { instances: [[5.1, 3.5, 1.4, 0.2]] })).status).toBe(200);
      expect((await admin_('iris/aliases/trial', 'PUT', { versions: { '2': 90, '3': 10 } })).status).toBe(200);
      expect((await admin_('iris/shadow', 'PUT', { version: '3', percent: 5 })).status).toBe(200);
      await refused('3', ['alias "trial" (a traffic split, weight 10)', 'the shadow']);
      expect((await admin_('iris/shadow', 'DELETE')).status).toBe(204);
      await refused('3', ['alias "trial"']);
      expect((await admin_('iris/aliases/trial', 'PUT', { version: '2' })).status).toBe(200);
      expect((await post('/v1/models/iris/versions/3/predict', { instances: [[5.1, 3.5, 1.4, 0.2]] })).status).toBe(
        200,
      );

      expect((await admin_('iris/versions/3', 'DELETE')).status).toBe(204);
      expect((await get('/v1/models/iris/versions/3')).status).toBe(404);
    });
  });

  describe('OpenAPI', () => {
    it('should describe each model with schemas from its signature, and stay valid', async () => {
      const document = (await (await fetch(`${server.url}/docs/openapi.json`)).json()) as {
        paths: Record<
          string,
          {
            post: {
              tags: string[];
              requestBody: {
                content: {
                  'application/json': {
                    schema: {
                      oneOf: {
                        required: string[];
                        properties: {
                          inputs?: {
                            properties: Record<
                              string,
                              { items: { minItems: number; maxItems: number; items: { type: string } } }
                            >;
                          };
                          instances?: { items: { minItems: number; maxItems: number } };
                        };
                      }[];
                    };
                  };
                };
              };
            };
          }
        >;
      };
      const iris = document.paths['/v1/models/iris/predict'].post;
      expect(iris.tags).toEqual(['model: iris']);
      // Both body forms of a single-input model: {"inputs": {...}} and {"instances": [...]}.
      const [named, instances] = iris.requestBody.content['application/json'].schema.oneOf;
      expect(named.required).toEqual(['inputs']);
      expect(named.properties.inputs!.properties.input.items).toMatchObject({
        minItems: 4,
        maxItems: 4,
        items: { type: 'number' },
      });
      expect(instances.required).toEqual(['instances']);
      expect(instances.properties.instances!.items).toMatchObject({ minItems: 4, maxItems: 4 });
      expect(document.paths['/v2/models/normalize-text/infer']).toBeDefined();
      await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
    });
  });
});
