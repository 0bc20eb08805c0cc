import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey, issueApiKey } from '../support/credentials';
import { addModel, copyModels, identityModel } from '../support/models';
import { startTestApp, TestApp } from '../support/test-app';

const { DataType } = onnx.TensorProto;

/** Identity models per datatype, with the bytes of three elements of each in little-endian order. */
const TYPES: { datatype: string; onnx: onnx.TensorProto.DataType; bytes: Buffer; json: unknown[] }[] = [
  { datatype: 'BOOL', onnx: DataType.BOOL, bytes: Buffer.from([1, 0, 1]), json: [true, false, true] },
  { datatype: 'UINT8', onnx: DataType.UINT8, bytes: Buffer.from([0, 127, 255]), json: [0, 127, 255] },
  {
    datatype: 'INT8',
    onnx: DataType.INT8,
    bytes: Buffer.from(new Int8Array([-128, 0, 127]).buffer),
    json: [-128, 0, 127],
  },
  {
    datatype: 'UINT16',
    onnx: DataType.UINT16,
    bytes: Buffer.from(new Uint16Array([0, 1, 65535]).buffer),
    json: [0, 1, 65535],
  },
  {
    datatype: 'INT16',
    onnx: DataType.INT16,
    bytes: Buffer.from(new Int16Array([-32768, 2, 32767]).buffer),
    json: [-32768, 2, 32767],
  },
  {
    datatype: 'UINT32',
    onnx: DataType.UINT32,
    bytes: Buffer.from(new Uint32Array([0, 3, 4294967295]).buffer),
    json: [0, 3, 4294967295],
  },
  {
    datatype: 'INT32',
    onnx: DataType.INT32,
    bytes: Buffer.from(new Int32Array([-2147483648, 4, 2147483647]).buffer),
    json: [-2147483648, 4, 2147483647],
  },
  {
    datatype: 'INT64',
    onnx: DataType.INT64,
    bytes: Buffer.from(new BigInt64Array([-5n, 0n, 9007199254740991n]).buffer),
    json: [-5, 0, 9007199254740991],
  },
  {
    datatype: 'UINT64',
    onnx: DataType.UINT64,
    bytes: Buffer.from(new BigUint64Array([0n, 6n, 9007199254740991n]).buffer),
    json: [0, 6, 9007199254740991],
  },
  {
    datatype: 'FP16',
    onnx: DataType.FLOAT16,
    bytes: Buffer.from(new Uint16Array([0x3c00, 0xc000, 0x3800]).buffer),
    json: [1, -2, 0.5],
  },
  {
    datatype: 'FP32',
    onnx: DataType.FLOAT,
    bytes: Buffer.from(new Float32Array([1.5, -2.25, 3.0e38]).buffer),
    json: [1.5, -2.25, Math.fround(3.0e38)],
  },
  {
    datatype: 'FP64',
    onnx: DataType.DOUBLE,
    bytes: Buffer.from(new Float64Array([1e-300, -0.1, 1e300]).buffer),
    json: [1e-300, -0.1, 1e300],
  },
  {
    datatype: 'BYTES',
    onnx: DataType.STRING,
    bytes: Buffer.concat(
      ['héllo', '', 'a\u00ffb'].flatMap((text) => {
        const utf8 = Buffer.from(text, 'utf8');
        const length = Buffer.alloc(4);
        length.writeUInt32LE(utf8.length);
        return [length, utf8];
      }),
    ),
    json: ['héllo', '', 'a\u00ffb'],
  },
];

/** A binary inference body: the JSON part, then each input's bytes. */
function binaryBody(header: object, ...parts: Buffer[]): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...parts]), headerLength: json.length };
}

/** A binary response: its JSON part and the bytes after it. */
async function readBinary(response: Response): Promise<{
  json: { outputs: { name: string; parameters?: { binary_data_size: number }; data?: unknown[] }[] };
  rest: Buffer;
}> {
  const bytes = Buffer.from(await response.arrayBuffer());
  const length = Number(response.headers.get('inference-header-content-length'));
  expect(length).toBeGreaterThan(0);
  return { json: JSON.parse(bytes.subarray(0, length).toString('utf8')) as never, rest: bytes.subarray(length) };
}

describe('Open Inference Protocol: requests without Content-Type, and binary tensor data', () => {
  let server: TestApp;
  let partner: string;

  const infer = (model: string, body: Buffer | string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/v2/models/${model}/infer`, {
      method: 'POST',
      headers: { 'x-api-key': partner, ...headers },
      body,
    });

  beforeAll(async () => {
    const repository = copyModels();
    for (const type of TYPES) {
      if (type.datatype === 'BYTES') continue;
      const name = `identity-${type.datatype.toLowerCase()}`;
      mkdirSync(join(repository, name, '1'), { recursive: true });
      writeFileSync(join(repository, name, '1', 'model.onnx'), identityModel(type.onnx, ['batch', 3]));
    }
    mkdirSync(join(repository, 'add-f32', '1'), { recursive: true });
    writeFileSync(join(repository, 'add-f32', '1', 'model.onnx'), addModel(DataType.FLOAT, ['batch', 2]));
    server = await startTestApp({ MODEL_REPOSITORY: repository });
    const admin = await createAdminKey(server);
    partner = (await issueApiKey(server, admin, { scopes: ['models:read', 'models:infer'] })).key;
  });

  afterAll(async () => {
    await server.close();
  });

  it('should list binary_tensor_data among the extensions, with the package version', async () => {
    const metadata = (await (await fetch(`${server.url}/v2`)).json()) as { extensions: string[]; version: string };
    expect(metadata.extensions).toContain('binary_tensor_data');
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(metadata.version).toBe(pkg.version);
  });

  it('should read a request without Content-Type as JSON (tritonclient sends none)', async () => {
    // A Buffer body: fetch sends no Content-Type for it (for a string it would send text/plain).
    const response = await infer(
      'iris',
      Buffer.from(
        JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] }),
      ),
    );
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { outputs: { name: string }[] }).outputs.map((output) => output.name)).toEqual([
      'probabilities',
      'label',
    ]);
  });

  it.each(TYPES)('should take and return $datatype as binary data, byte for byte, and as JSON', async (type) => {
    const model = type.datatype === 'BYTES' ? 'normalize-text' : `identity-${type.datatype.toLowerCase()}`;
    const input = type.datatype === 'BYTES' ? 'text' : 'x';
    const shape = type.datatype === 'BYTES' ? [3] : [1, 3];
    const { body, headerLength } = binaryBody(
      {
        inputs: [{ name: input, shape, datatype: type.datatype, parameters: { binary_data_size: type.bytes.length } }],
        parameters: { binary_data_output: true },
      },
      type.bytes,
    );
    const response = await infer(model, body, { 'inference-header-content-length': String(headerLength) });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    const { json, rest } = await readBinary(response);
    const [output] = json.outputs;
    expect(output.parameters?.binary_data_size).toBe(rest.length);
    // Identity models, and normalize-text lower-cases strings that are lower-case already: the same bytes.
    expect(rest.equals(type.bytes)).toBe(true);
    // The same input with the output as JSON: the values the binary data stands for.
    const asJson = binaryBody(
      {
        inputs: [{ name: input, shape, datatype: type.datatype, parameters: { binary_data_size: type.bytes.length } }],
      },
      type.bytes,
    );
    const jsonResponse = await infer(model, asJson.body, {
      'inference-header-content-length': String(asJson.headerLength),
      'content-type': 'application/octet-stream',
    });
    expect(jsonResponse.headers.get('content-type')).toMatch(/^application\/json/);
    const values = ((await jsonResponse.json()) as { outputs: { data: unknown[] }[] }).outputs[0].data;
    if (type.datatype === 'BYTES') expect(values).toEqual(['héllo', '', 'a\u00ffb']);
    else expect(values).toEqual(type.json);
  });

  it('should mix binary and JSON inputs, and binary and JSON outputs as each output asks', async () => {
    const b = Buffer.from(new Float32Array([10, 20]).buffer);
    const { body, headerLength } = binaryBody(
      {
        id: 'mixed-1',
        inputs: [
          { name: 'a', shape: [1, 2], datatype: 'FP32', data: [1, 2] },
          { name: 'b', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } },
        ],
        outputs: [{ name: 'sum', parameters: { binary_data: false } }],
        parameters: { binary_data_output: true },
      },
      b,
    );
    const response = await infer('add-f32', body, { 'inference-header-content-length': String(headerLength) });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: 'mixed-1', outputs: [{ name: 'sum', data: [11, 22] }] });
  });

  it('should answer exactly what /v1 answers for the same rows', async () => {
    const rows = [
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.1, 4.7, 1.5],
    ];
    const v1 = (await (
      await fetch(`${server.url}/v1/models/iris/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': partner },
        body: JSON.stringify({ instances: rows }),
      })
    ).json()) as { outputs: { probabilities: number[][] } };
    const { body, headerLength } = binaryBody(
      {
        inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', parameters: { binary_data_size: 32 } }],
        outputs: [{ name: 'probabilities', parameters: { binary_data: true } }],
      },
      Buffer.from(new Float32Array(rows.flat()).buffer),
    );
    const { rest } = await readBinary(
      await infer('iris', body, { 'inference-header-content-length': String(headerLength) }),
    );
    const binary = Array.from(new Float32Array(rest.buffer.slice(rest.byteOffset, rest.byteOffset + rest.length)));
    expect(binary).toEqual(v1.outputs.probabilities.flat());
  });

  it.each([
    ['a header length past the body', (json: number) => String(json + 100), 16],
    ['a header length of zero', () => '0', 16],
    ['a header length that is not a number', () => 'abc', 16],
    ['too few bytes for the shape', (json: number) => String(json), 12],
    ['bytes after the inputs', (json: number) => String(json), 20],
  ])('should answer %s with 400 {"error"}', async (_what, length, bytes) => {
    const json = Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }],
      }),
    );
    const response = await infer('iris', Buffer.concat([json, Buffer.alloc(bytes)]), {
      'inference-header-content-length': length(json.length),
    });
    expect(response.status).toBe(400);
    expect(Object.keys((await response.json()) as object)).toEqual(['error']);
  });

  it('should answer malformed BYTES elements and binary_data_size without the header with 400', async () => {
    const lying = Buffer.alloc(4);
    lying.writeUInt32LE(100);
    const { body, headerLength } = binaryBody(
      { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 6 } }] },
      lying,
      Buffer.from('ab'),
    );
    expect(
      (await infer('normalize-text', body, { 'inference-header-content-length': String(headerLength) })).status,
    ).toBe(400);
    const noHeader = await infer(
      'iris',
      JSON.stringify({
        inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }],
      }),
      {
        'content-type': 'application/json',
      },
    );
    expect(noHeader.status).toBe(400);
  });

  it('should meter a binary request like a JSON one', async () => {
    const { body, headerLength } = binaryBody(
      { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }] },
      Buffer.from(new Float32Array([5.1, 3.5, 1.4, 0.2]).buffer),
    );
    const response = await infer('iris', body, {
      'inference-header-content-length': String(headerLength),
      'x-request-id': 'binary-metered-1',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('server-timing')).toMatch(/infer;dur=/);
  });
});
