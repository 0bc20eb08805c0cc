import { credentials, status } from '@grpc/grpc-js';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageRecorder } from '../../src/usage/usage-recorder.service';
import { createAdminKey, eventually, issueApiKey, registerClient } from '../support/credentials';
import { GrpcTestClient } from '../support/grpc-client';
import { copyModels } from '../support/models';
import { DIST_CLI, freePort, startServerProcess } from '../support/server-process';
import { startTestApp, TestApp } from '../support/test-app';

const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.1, 4.7, 1.5],
  [6.3, 3.3, 6.0, 2.5],
];

const floats = (values: number[]) => Buffer.from(new Float32Array(values).buffer);
const fromFloats = (bytes: Buffer) =>
  Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));

interface InferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: { name: string; datatype: string; shape: string[] }[];
  raw_output_contents: Buffer[];
}

const irisRequest = (rows: number[][], extra: object = {}) => ({
  model_name: 'iris',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [String(rows.length), '4'] }],
  raw_input_contents: [floats(rows.flat())],
  ...extra,
});

describe('gRPC (inference.GRPCInferenceService)', () => {
  let server: TestApp;
  let client: GrpcTestClient;
  let admin: string;
  let partner: { id: string; key: string };

  beforeAll(async () => {
    const port = await freePort();
    server = await startTestApp({ MODEL_REPOSITORY: copyModels(), GRPC_PORT: String(port), GRPC_HOST: '127.0.0.1' });
    client = new GrpcTestClient(`127.0.0.1:${port}`);
    admin = await createAdminKey(server);
    partner = await issueApiKey(server, admin, { scopes: ['models:read', 'models:infer'] });
  });

  afterAll(async () => {
    client.close();
    await server.close();
  });

  const key = () => ({ 'x-api-key': partner.key });

  it('should route ModelInfer by a traffic split (model_version), announce deprecation in metadata, then FAILED_PRECONDITION', async () => {
    const admin_ = (method: string, path: string, body: object) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'x-api-key': admin },
        body: JSON.stringify(body),
      });
    expect(
      (await admin_('PUT', '/v1/admin/models/iris/aliases/default', { versions: { '1': 50, '2': 50 } })).status,
    ).toBe(200);
    const callers = await Promise.all(
      Array.from({ length: 8 }, () => issueApiKey(server, admin, { scopes: ['models:infer'] })),
    );
    const seen = new Set<string>();
    for (const caller of callers) {
      const versions = new Set<string>();
      for (let i = 0; i < 2; i++) {
        const { response } = await client.call<InferResponse>('ModelInfer', irisRequest(ROWS), {
          'x-api-key': caller.key,
        });
        versions.add(response!.model_version);
      }
      const rest = await fetch(`${server.url}/v1/models/iris/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': caller.key },
        body: JSON.stringify({ instances: ROWS }),
      });
      versions.add(((await rest.json()) as { version: string }).version);
      expect(versions.size, 'the same version over gRPC and REST').toBe(1);
      seen.add([...versions][0]);
    }
    expect(seen).toEqual(new Set(['1', '2']));
    expect((await admin_('PUT', '/v1/admin/models/iris/aliases/default', { version: 'stable' })).status).toBe(200);

    const deprecatedAt = '2026-01-01T00:00:00.000Z';
    const sunsetAt = new Date(Date.now() + 86_400_000);
    sunsetAt.setUTCMilliseconds(0);
    const patch = await admin_('PATCH', '/v1/admin/models/iris/versions/2', {
      deprecatedAt,
      sunsetAt: sunsetAt.toISOString(),
    });
    expect(patch.status).toBe(200);
    const pinned = irisRequest(ROWS, { model_version: '2' });
    const announced = await client.call<InferResponse>('ModelInfer', pinned, key());
    expect(announced.response?.model_version).toBe('2');
    expect(announced.headers?.get('deprecation')).toEqual(['@1767225600']);
    expect(announced.headers?.get('sunset')).toEqual([sunsetAt.toUTCString()]);
    expect(String(announced.headers?.get('link')[0])).toContain('rel="sunset"');
    expect(
      (
        await admin_('PATCH', '/v1/admin/models/iris/versions/2', {
          sunsetAt: new Date(Date.now() - 1000).toISOString(),
        })
      ).status,
    ).toBe(200);
    const refused = await client.call<InferResponse>('ModelInfer', pinned, key());
    expect(refused.error?.code).toBe(status.FAILED_PRECONDITION);
    expect(refused.error?.details).toContain('retired');
    expect(
      (await admin_('PATCH', '/v1/admin/models/iris/versions/2', { deprecatedAt: null, sunsetAt: null })).status,
    ).toBe(200);
  });

  it('should answer ServerLive, ServerReady and ServerMetadata without credentials', async () => {
    expect((await client.call('ServerLive', {})).response).toEqual({ live: true });
    expect((await client.call('ServerReady', {})).response).toEqual({ ready: true });
    const metadata = (await client.call<{ name: string; version: string; extensions: string[] }>('ServerMetadata', {}))
      .response!;
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(metadata).toMatchObject({ name: 'modelgate', version: pkg.version });
  });

  it('should serve grpc.health.v1 and list every service by reflection', async () => {
    expect((await client.check('')).response).toEqual({ status: 'SERVING' });
    expect((await client.check('inference.GRPCInferenceService')).response).toEqual({ status: 'SERVING' });
    const services = await client.listServices();
    expect(services).toEqual(expect.arrayContaining(['inference.GRPCInferenceService', 'grpc.health.v1.Health']));
  });

  it('should answer ModelReady and ModelMetadata with credentials', async () => {
    expect((await client.call('ModelReady', { name: 'iris', version: '2' }, key())).response).toEqual({ ready: true });
    const { response } = await client.call<{
      name: string;
      versions: string[];
      platform: string;
      inputs: { shape: string[] }[];
    }>('ModelMetadata', { name: 'iris' }, key());
    expect(response).toMatchObject({ name: 'iris', versions: ['1', '2'], platform: 'onnx_onnxv1' });
    expect(response!.inputs[0]).toMatchObject({ name: 'input', datatype: 'FP32', shape: ['-1', '4'] });
  });

  it('should infer from raw contents and answer the same numbers as REST for the same rows', async () => {
    const { response, headers } = await client.call<InferResponse>('ModelInfer', irisRequest(ROWS, { id: 'grpc-1' }), {
      ...key(),
      'x-request-id': 'grpc-request-1',
    });
    expect(response).toMatchObject({ model_name: 'iris', model_version: '1', id: 'grpc-1' });
    expect(response!.outputs.map((output) => [output.name, output.datatype, output.shape])).toEqual([
      ['probabilities', 'FP32', ['3', '3']],
      ['label', 'INT64', ['3']],
    ]);
    expect(headers?.get('x-request-id')).toEqual(['grpc-request-1']);
    expect(String(headers?.get('ratelimit-policy')[0])).toMatch(/"minute";q=/);
    const rest = (await (
      await fetch(`${server.url}/v1/models/iris/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': partner.key },
        body: JSON.stringify({ instances: ROWS }),
      })
    ).json()) as { outputs: { probabilities: number[][]; label: number[] } };
    expect(fromFloats(response!.raw_output_contents[0])).toEqual(rest.outputs.probabilities.flat());
    const labels = response!.raw_output_contents[1];
    expect(
      Array.from(new BigInt64Array(labels.buffer.slice(labels.byteOffset, labels.byteOffset + labels.length)), Number),
    ).toEqual(rest.outputs.label);
  });

  it('should infer from typed contents, BYTES included, and pick outputs', async () => {
    const typed = await client.call<InferResponse>(
      'ModelInfer',
      {
        model_name: 'iris',
        model_version: '2',
        inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '4'], contents: { fp32_contents: ROWS[0] } }],
        outputs: [{ name: 'label' }],
      },
      key(),
    );
    expect(typed.response!.outputs.map((output) => output.name)).toEqual(['label']);
    expect(typed.response!.model_version).toBe('2');
    const text = await client.call<InferResponse>(
      'ModelInfer',
      {
        model_name: 'normalize-text',
        inputs: [
          {
            name: 'text',
            datatype: 'BYTES',
            shape: ['2'],
            contents: { bytes_contents: [Buffer.from('HeLLo'), Buffer.from('Wörld')] },
          },
        ],
      },
      key(),
    );
    const raw = text.response!.raw_output_contents[0];
    const strings: string[] = [];
    for (let offset = 0; offset < raw.length;) {
      const length = raw.readUInt32LE(offset);
      strings.push(raw.toString('utf8', offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    expect(strings).toEqual(['hello', 'wörld']);
  });

  it('should accept an OAuth access token as authorization metadata', async () => {
    const registered = await registerClient(server, admin, { scopes: ['models:infer'] });
    const token = (await (
      await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: registered.clientId,
          client_secret: registered.clientSecret,
        }),
      })
    ).json()) as { access_token: string };
    const { response, error } = await client.call<InferResponse>('ModelInfer', irisRequest([ROWS[0]]), {
      authorization: `Bearer ${token.access_token}`,
    });
    expect(error).toBeUndefined();
    expect(response!.model_name).toBe('iris');
  });

  describe('statuses', () => {
    it.each([
      ['no credential', {}, status.UNAUTHENTICATED],
      ['a malformed API key', { 'x-api-key': 'mg_live_nope' }, status.UNAUTHENTICATED],
      ['a bad Bearer token', { authorization: 'Bearer abc.def.ghi' }, status.UNAUTHENTICATED],
    ])('should answer %s with UNAUTHENTICATED', async (_what, metadata, code) => {
      const { error } = await client.call('ModelInfer', irisRequest([ROWS[0]]), metadata);
      expect(error?.code).toBe(code);
    });

    it('should answer PERMISSION_DENIED short of a scope, NOT_FOUND outside the allow-list or for unknown models and versions', async () => {
      const reader = await issueApiKey(server, admin, { scopes: ['models:read'] });
      expect((await client.call('ModelInfer', irisRequest([ROWS[0]]), { 'x-api-key': reader.key })).error?.code).toBe(
        status.PERMISSION_DENIED,
      );
      const mlpOnly = await issueApiKey(server, admin, { scopes: ['models:read', 'models:infer'], models: ['mlp'] });
      expect((await client.call('ModelInfer', irisRequest([ROWS[0]]), { 'x-api-key': mlpOnly.key })).error?.code).toBe(
        status.NOT_FOUND,
      );
      expect((await client.call('ModelMetadata', { name: 'iris' }, { 'x-api-key': mlpOnly.key })).error?.code).toBe(
        status.NOT_FOUND,
      );
      expect(
        (await client.call('ModelInfer', { ...irisRequest([ROWS[0]]), model_name: 'nope' }, key())).error?.code,
      ).toBe(status.NOT_FOUND);
      expect(
        (await client.call('ModelInfer', { ...irisRequest([ROWS[0]]), model_version: '9' }, key())).error?.code,
      ).toBe(status.NOT_FOUND);
    });

    it.each([
      [
        'a wrong shape',
        {
          inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '5'] }],
          raw_input_contents: [floats([1, 2, 3, 4, 5])],
        },
      ],
      [
        'a wrong datatype',
        {
          inputs: [{ name: 'input', datatype: 'FP64', shape: ['1', '4'] }],
          raw_input_contents: [floats([1, 2, 3, 4, 5, 6, 7, 8])],
        },
      ],
      [
        'raw contents of the wrong size',
        { inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '4'] }], raw_input_contents: [floats([1, 2, 3])] },
      ],
      [
        'an unknown input',
        {
          inputs: [{ name: 'other', datatype: 'FP32', shape: ['1', '4'] }],
          raw_input_contents: [floats([1, 2, 3, 4])],
        },
      ],
      [
        'raw contents for fewer inputs',
        {
          inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '4'] }],
          raw_input_contents: [floats([1, 2, 3, 4]), floats([1])],
        },
      ],
      [
        'typed contents out of range',
        { inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '4'], contents: { fp32_contents: [] } }] },
      ],
    ])('should answer %s with INVALID_ARGUMENT', async (_what, body) => {
      const { error } = await client.call('ModelInfer', { model_name: 'iris', ...body }, key());
      expect(error?.code).toBe(status.INVALID_ARGUMENT);
      expect(error?.details).toMatch(/input/i);
    });

    it('should answer RESOURCE_EXHAUSTED with retry-after past the rate limit, counted with REST calls', async () => {
      const limited = await issueApiKey(server, admin, {
        scopes: ['models:infer'],
        rateLimit: { requestsPerMinute: 3 },
      });
      const rest = await fetch(`${server.url}/v1/models/iris/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': limited.key },
        body: JSON.stringify({ instances: [ROWS[0]] }),
      });
      expect(rest.status).toBe(200);
      const results = [];
      for (let i = 0; i < 3; i++)
        results.push(await client.call('ModelInfer', irisRequest([ROWS[0]]), { 'x-api-key': limited.key }));
      expect(results.map((result) => result.error?.code ?? status.OK)).toEqual([
        status.OK,
        status.OK,
        status.RESOURCE_EXHAUSTED,
      ]);
      expect(Number(results[2].error!.metadata.get('retry-after')[0])).toBeGreaterThan(0);
    });

    it('should answer UNAVAILABLE while the version is unloaded', async () => {
      const unload = await fetch(`${server.url}/v1/admin/models/iris/versions/2/unload`, {
        method: 'POST',
        headers: { 'x-api-key': admin },
      });
      expect(unload.status).toBe(200);
      try {
        const { error } = await client.call('ModelInfer', { ...irisRequest([ROWS[0]]), model_version: '2' }, key());
        expect(error?.code).toBe(status.UNAVAILABLE);
        expect(error?.metadata.get('retry-after')[0]).toBeDefined();
        expect((await client.call('ModelReady', { name: 'iris', version: '2' }, key())).response).toEqual({
          ready: false,
        });
      } finally {
        await fetch(`${server.url}/v1/admin/models/iris/versions/2/load`, {
          method: 'POST',
          headers: { 'x-api-key': admin },
        });
      }
    });
  });

  it('should meter gRPC calls like REST ones, with protocol grpc in events, reports and CSV', async () => {
    const metered = await issueApiKey(server, admin, { scopes: ['models:infer'] });
    for (let i = 0; i < 2; i++)
      await client.call('ModelInfer', irisRequest([ROWS[0]]), {
        'x-api-key': metered.key,
        'x-request-id': `metered-${i}`,
      });
    await client.call('ModelInfer', { ...irisRequest([ROWS[0]]), model_name: 'nope' }, { 'x-api-key': metered.key });
    await server.app.get(UsageRecorder).flush(true);
    const asAdmin = (path: string) => fetch(`${server.url}${path}`, { headers: { 'x-api-key': admin } });
    const events = (await (await asAdmin(`/v1/admin/usage/events?principalId=${metered.id}`)).json()) as {
      items: {
        protocol: string;
        route: string;
        status: number;
        model: string | null;
        requestId: string;
        errorCode: string | null;
      }[];
    };
    expect(events.items).toHaveLength(3);
    expect(
      events.items.every(
        (event) => event.protocol === 'grpc' && event.route === '/inference.GRPCInferenceService/ModelInfer',
      ),
    ).toBe(true);
    expect(events.items.map((event) => event.status).sort()).toEqual([200, 200, 404]);
    expect(events.items.find((event) => event.status === 404)?.errorCode).toBe('model_not_found');
    expect(events.items.map((event) => event.requestId)).toEqual(expect.arrayContaining(['metered-0', 'metered-1']));
    const report = (await (await asAdmin('/v1/admin/usage?groupBy=principal,protocol')).json()) as {
      items: { principalId: string; protocol: string; requests: number; errors: number }[];
    };
    expect(report.items.filter((item) => item.principalId === metered.id)).toEqual([
      expect.objectContaining({ protocol: 'grpc', requests: 3, errors: 1 }),
    ]);
    const csv = await (await asAdmin(`/v1/admin/usage/events?principalId=${metered.id}&format=csv`)).text();
    expect(csv.split('\n')[0].split(',')).toContain('protocol');
    expect(csv).toContain(',grpc,');
  });
});

describe('gRPC at shutdown', () => {
  it('should finish the calls in flight on SIGTERM before the process stops', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'modelgate-grpc-drain-'));
    const port = await freePort();
    const env = {
      EMBEDDED_DATA_DIR: join(scratch, 'db'),
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
      BOOTSTRAP_ADMIN_KEY: 'false',
      LOG_LEVEL: 'info',
      WORKERS: '1',
    };
    const cli = spawnSync(process.execPath, [DIST_CLI, 'create-admin-key'], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(cli.status, cli.stderr).toBe(0);
    const server = await startServerProcess({ ...env, GRPC_PORT: String(port), GRPC_HOST: '127.0.0.1' });
    const client = new GrpcTestClient(`127.0.0.1:${port}`);
    try {
      const partner = await issueApiKey({ url: server.url } as TestApp, cli.stdout.trim(), {
        scopes: ['models:infer'],
      });
      expect((await client.call('ServerLive', {})).response).toEqual({ live: true }); // the channel is up
      const rows = 400;
      const request = {
        model_name: 'mlp',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [String(rows), '784'] }],
        raw_input_contents: [floats(new Array<number>(rows * 784).fill(0.5))],
      };
      const calls = Array.from({ length: 40 }, () =>
        client.call<InferResponse>('ModelInfer', request, { 'x-api-key': partner.key }),
      );
      const completed = () =>
        server
          .output()
          .split('\n')
          .filter((line) => line.includes('"msg":"call completed"')).length;
      await eventually(() => Promise.resolve(completed() >= 2), 20_000);
      const stopped = server.stop();
      const results = await Promise.all(calls);
      expect([0, 'SIGTERM']).toContain(await stopped); // Nest re-raises the signal once closed
      // A call is answered, or refused before it started (the server takes no new calls once draining):
      // none that started is cut off.
      const codes = results.map((result) => result.error?.code ?? status.OK);
      expect(codes.every((code) => code === status.OK || code === status.UNAVAILABLE)).toBe(true);
      const lines = server.output().split('\n');
      const stoppingAt = lines.findIndex((line) => line.includes('Shutting down on SIGTERM'));
      const answeredAfter = lines.slice(stoppingAt).filter((line) => line.includes('"msg":"call completed"'));
      expect(answeredAfter.length, 'calls in flight at SIGTERM were finished').toBeGreaterThan(0);
      expect(answeredAfter.every((line) => line.includes('"statusCode":200'))).toBe(true);
    } finally {
      client.close();
      await server.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('gRPC over TLS', () => {
  it('should serve gRPC with GRPC_TLS_CERT and GRPC_TLS_KEY, and refuse a plaintext client', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ]);
    const port = await freePort();
    const server = await startTestApp({
      GRPC_PORT: String(port),
      GRPC_HOST: '127.0.0.1',
      GRPC_TLS_CERT: cert,
      GRPC_TLS_KEY: key,
    });
    const secure = new GrpcTestClient(`localhost:${port}`, credentials.createSsl(readFileSync(cert)));
    const plain = new GrpcTestClient(`127.0.0.1:${port}`);
    try {
      expect((await secure.call('ServerLive', {})).response).toEqual({ live: true });
      expect((await plain.call('ServerLive', {})).error?.code).toBe(status.UNAVAILABLE);
    } finally {
      secure.close();
      plain.close();
      await server.close();
    }
  });
});
