import { connect } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey, issueApiKey, registerClient } from '../support/credentials';
import { addModel, copyModels, identityModel } from '../support/models';
import { startTestApp, TestApp } from '../support/test-app';

const { DataType } = onnx.TensorProto;

/** Every surface's error body: problem details on /v1, {"error"} on /v2, RFC 6749 on /oauth. */
type Surface = 'problem' | 'oip' | 'oauth';

async function expectSurfaceError(response: Response, status: number, surface: Surface, secret?: string) {
  expect(response.status).toBe(status);
  const requestId = response.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  const text = await response.text();
  if (secret) expect(text).not.toContain(secret);
  const body = JSON.parse(text) as Record<string, unknown>;
  switch (surface) {
    case 'problem':
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(body).toMatchObject({ status, requestId });
      expect(typeof body.code).toBe('string');
      break;
    case 'oip':
      expect(Object.keys(body)).toEqual(['error']);
      break;
    case 'oauth':
      expect(typeof body.error).toBe('string');
      expect(response.headers.get('cache-control')).toBe('no-store');
      break;
  }
  return body;
}

/** Sends raw bytes and reads the raw answer (for requests fetch refuses to send). */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes, 'latin1'));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy());
  });
}

const deep = (levels: number, leaf = '1') => `${'['.repeat(levels)}${leaf}${']'.repeat(levels)}`;

describe('Hostile input', () => {
  let server: TestApp;
  let admin: string;
  let partner: string;
  let port: number;

  const send = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-api-key': partner, ...headers },
      body,
    });

  beforeAll(async () => {
    const repository = copyModels();
    mkdirSync(join(repository, 'add-f64', '1'), { recursive: true });
    writeFileSync(join(repository, 'add-f64', '1', 'model.onnx'), addModel(DataType.DOUBLE, ['batch', 2]));
    mkdirSync(join(repository, 'half', '1'), { recursive: true });
    writeFileSync(join(repository, 'half', '1', 'model.onnx'), identityModel(DataType.FLOAT16, ['batch', 2]));
    mkdirSync(join(repository, 'add-i64', '1'), { recursive: true });
    writeFileSync(join(repository, 'add-i64', '1', 'model.onnx'), addModel(DataType.INT64, ['batch', 2]));
    server = await startTestApp({ MODEL_REPOSITORY: repository });
    port = Number(new URL(server.url).port);
    admin = await createAdminKey(server);
    partner = (await issueApiKey(server, admin, { scopes: ['models:read', 'models:infer', 'usage:read'] })).key;
  });

  afterAll(async () => {
    await server.close();
  });

  describe('NUL bytes and unpaired surrogates (400 on every surface, nothing reaches PostgreSQL)', () => {
    it.each([
      ['a path id', 'GET', '/v1/admin/api-keys/a%00b', 'problem'],
      ['a model name', 'GET', '/v1/models/ir%00is', 'problem'],
      ['a query filter', 'GET', '/v1/admin/usage/events?principalId=a%00b', 'problem'],
      ['a cursor', 'GET', '/v1/admin/api-keys?cursor=%00', 'problem'],
      ['a /v2 path', 'GET', '/v2/models/ir%00is', 'oip'],
      ['a raw NUL in the query', 'GET', '/v1/models?x=a\u0000b', 'problem'],
    ] as const)('should refuse a NUL byte in %s', async (_what, method, path, surface) => {
      const response = await send(method, path, undefined, { 'x-api-key': admin });
      const body = await expectSurfaceError(response, 400, surface);
      if (surface === 'problem') expect(body.code).toBe('invalid_characters');
    });

    it.each([
      ['a NUL', '\\u0000'],
      ['an unpaired high surrogate', '\\ud800'],
      ['an unpaired low surrogate', '\\udc00x'],
    ])('should refuse %s in a JSON string or field name', async (_what, escape) => {
      for (const body of [
        `{"name":"a${escape}b","scopes":["models:read"]}`,
        `{"name":"ok","scopes":["models:read"],"x${escape}":1}`,
      ]) {
        const response = await send('POST', '/v1/admin/api-keys', body, { 'x-api-key': admin });
        expect((await expectSurfaceError(response, 400, 'problem')).code).toBe('invalid_characters');
      }
      const infer = await send(
        'POST',
        '/v2/models/normalize-text/infer',
        `{"inputs":[{"name":"text","shape":[1],"datatype":"BYTES","data":["a${escape}"]}]}`,
      );
      await expectSurfaceError(infer, 400, 'oip');
    });

    it('should answer RFC 6749 invalid_request for a NUL in a form field or in Basic credentials', async () => {
      const client = await registerClient(server, admin, { scopes: ['models:read'] });
      const form = await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${client.clientId}%00&client_secret=${client.clientSecret}`,
      });
      expect(await expectSurfaceError(form, 400, 'oauth', client.clientSecret)).toMatchObject({
        error: 'invalid_request',
      });
      const basic = await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`a%00b:secret`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      expect(await expectSurfaceError(basic, 400, 'oauth')).toMatchObject({ error: 'invalid_request' });
      for (const path of ['/oauth/introspect', '/oauth/revoke']) {
        const response = await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': admin },
          body: 'token=abc%00',
        });
        expect(await expectSurfaceError(response, 400, 'oauth')).toMatchObject({ error: 'invalid_request' });
      }
    });
  });

  describe('nesting (400 past 64 levels, never a stack overflow)', () => {
    it.each([
      [
        'a /v2 tensor',
        'oip',
        '/v2/models/iris/infer',
        (d: string) => `{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":${d}}]}`,
      ],
      [
        'a /v1 tensor element',
        'problem',
        '/v1/models/iris/predict',
        (d: string) => `{"inputs":{"input":[[${d},1,1,1]]}}`,
      ],
      [
        'an admin DTO field',
        'problem',
        '/v1/admin/api-keys',
        (d: string) =>
          `{"name":"x","scopes":["models:read"],"rateLimit":${d.replace(/\[/g, '{"a":').replace(/\]/g, '}')}}`,
      ],
      [
        'an object in /v1',
        'problem',
        '/v1/models/iris/predict',
        (d: string) => `{"inputs":${d.replace(/\[/g, '{"a":').replace(/\]/g, '}')}}`,
      ],
    ] as const)('should refuse deep nesting in %s', async (_what, surface, path, body) => {
      for (const levels of [65, 100_000]) {
        const response = await send('POST', path, body(deep(levels)), { 'x-api-key': admin });
        const error = await expectSurfaceError(response, 400, surface);
        expect(JSON.stringify(error)).toMatch(/64 levels/);
      }
    });

    it('should still take 64 levels', async () => {
      // 64 levels is allowed by the parser; the model then refuses the shape, with a 400 of its own.
      const response = await send('POST', '/v1/models/iris/predict', `{"inputs":{"input":${deep(62)}}}`);
      expect((await expectSurfaceError(response, 400, 'problem')).code).toBe('invalid_input_shape');
    });
  });

  describe('numbers that do not fit the datatype (400 naming the input)', () => {
    it.each([
      ['1e400 in FP32', '/v1/models/iris/predict', '{"inputs":{"input":[[1e400,1,1,1]]}}', 'input'],
      ['-1e400 in FP32', '/v1/models/iris/predict', '{"instances":[[1,-1e400,1,1]]}', 'input'],
      ['1e39 in FP32', '/v1/models/iris/predict', '{"inputs":{"input":[[1,1,1e39,1]]}}', 'input'],
      [
        '1e39 in FP32 (v2, flat)',
        '/v2/models/iris/infer',
        '{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,1,1,1e39]}]}',
        'input',
      ],
      [
        '1e39 in FP32 (v2, nested)',
        '/v2/models/iris/infer',
        '{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[[1,1,1,1e39]]}]}',
        'input',
      ],
      ['1e400 in FP64', '/v1/models/add-f64/predict', '{"inputs":{"a":[[1,1e400]],"b":[[1,1]]}}', 'a'],
      ['70000 in FP16', '/v1/models/half/predict', '{"inputs":{"x":[[1,70000]]}}', 'x'],
      ['1.5 in INT64', '/v1/models/add-i64/predict', '{"inputs":{"a":[[1,1.5]],"b":[[1,1]]}}', 'a'],
      ['2^63 in INT64', '/v1/models/add-i64/predict', '{"inputs":{"a":[[1,9223372036854775808]],"b":[[1,1]]}}', 'a'],
    ])('should refuse %s', async (_what, path, body, input) => {
      const response = await send('POST', path, body);
      const error = await expectSurfaceError(response, 400, path.startsWith('/v2') ? 'oip' : 'problem');
      expect(JSON.stringify(error)).toContain(`Input \\"${input}\\"`);
    });

    it('should still take the largest finite float32', async () => {
      const response = await send(
        'POST',
        '/v1/models/iris/predict',
        '{"inputs":{"input":[[3.4028234663852886e38,1,1,1]]}}',
      );
      expect(response.status).toBe(200);
    });
  });

  describe('errors raised before routing (the surface format, a request id, nothing echoed)', () => {
    const long = 'x'.repeat(150);

    it.each([
      ['/v1', `/v1/models/${long}`, 'problem'],
      ['/v2', `/v2/models/${long}/ready`, 'oip'],
      ['/v1/admin', `/v1/admin/api-keys/${long}`, 'problem'],
    ] as const)('should answer a path segment over 100 characters on %s with 414', async (_what, path, surface) => {
      const response = await send('GET', path);
      const body = await expectSurfaceError(response, 414, surface, long);
      if (surface === 'problem') expect(body.code).toBe('uri_too_long');
    });

    it.each([
      ['/v1', '/v1/models/%E0%A4%A', 'problem'],
      ['/v2', '/v2/models/%E0%A4%A', 'oip'],
    ] as const)('should answer a malformed percent-escape on %s with 400', async (_what, path, surface) => {
      await expectSurfaceError(await send('GET', path), 400, surface, '%E0%A4%A');
    });

    it.each([
      ['/v1', '/v1/nothing/here', 'problem'],
      ['/v2', '/v2/nothing/here', 'oip'],
      ['/oauth', '/oauth/nothing-here', 'oauth'],
    ] as const)('should answer an unknown route on %s with 404', async (_what, path, surface) => {
      await expectSurfaceError(await send('GET', path), 404, surface, 'nothing');
    });

    it.each([
      ['/v1/models', 'problem'],
      ['/v2/models/iris', 'oip'],
      ['/oauth/token', 'oauth'],
    ] as const)('should answer headers too large on %s with 431 in its format', async (path, surface) => {
      const answer = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      expect(answer).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/i);
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
      if (surface === 'problem') expect(body).toMatchObject({ status: 431, code: 'header_fields_too_large' });
      if (surface === 'oip') expect(Object.keys(body)).toEqual(['error']);
      if (surface === 'oauth') expect(body).toMatchObject({ error: 'invalid_request' });
      expect(answer).not.toContain('aaaa');
    });

    it('should answer a NUL or a control character in a header with 400 in the surface format', async () => {
      for (const [path, header] of [
        ['/v1/models', 'X-API-Key: mg_\u0000abc'],
        ['/v2/models/iris', 'User-Agent: a\u0001b'],
      ]) {
        const answer = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: x\r\n${header}\r\n\r\n`);
        expect(answer).toMatch(/^HTTP\/1\.1 400 /);
        expect(answer).toMatch(/\r\nX-Request-Id: /i);
        const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
        if (path.startsWith('/v2')) expect(Object.keys(body)).toEqual(['error']);
        else expect(body).toMatchObject({ status: 400, code: 'bad_request' });
      }
    });

    it('should not echo a malformed JSON body', async () => {
      const response = await send('POST', '/v1/admin/api-keys', '{"name": SECRET-VALUE}', { 'x-api-key': admin });
      expect((await expectSurfaceError(response, 400, 'problem', 'SECRET-VALUE')).code).toBe('invalid_json');
    });
  });

  describe('bodies that are not JSON on /v1 (415)', () => {
    it.each([
      ['a form', 'application/x-www-form-urlencoded', 'a=b'],
      ['text', 'text/plain', '{"inputs":{}}'],
      ['octet-stream', 'application/octet-stream', 'abc'],
      ['multipart', 'multipart/form-data; boundary=x', '--x--'],
    ])('should answer %s sent to a JSON route with 415', async (_what, type, body) => {
      for (const [path, key] of [
        ['/v1/models/iris/predict', partner],
        ['/v1/admin/api-keys', admin],
      ]) {
        const response = await send('POST', path, body, { 'content-type': type, 'x-api-key': key });
        expect((await expectSurfaceError(response, 415, 'problem')).code).toBe('unsupported_media_type');
      }
    });

    it('should answer JSON sent to the upload route with 415', async () => {
      const response = await send('PUT', '/v1/admin/models/iris/versions/9', '{}', { 'x-api-key': admin });
      expect(response.status).toBe(415);
    });
  });
});
