import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferenceRequests, InferenceServer, startInferenceServer } from '../support/inference-server';
import { TestApp } from '../support/test-app';

describe('Inference: the Open Inference Protocol (/v2)', () => {
  let fixture: InferenceServer;
  let server: TestApp;
  const { post, get } = inferenceRequests(() => fixture);

  beforeAll(async () => {
    fixture = await startInferenceServer();
    ({ server } = fixture);
  });

  afterAll(async () => {
    await server.close();
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
});
