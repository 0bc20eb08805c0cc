import SwaggerParser from '@apidevtools/swagger-parser';
import { HealthIndicatorService } from '@nestjs/terminus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthRegistry } from '../../src/health/health-registry';
import { ProbeModule } from '../support/probe.module';
import { startTestApp, TestApp } from '../support/test-app';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  errors?: { field: string; message: string }[];
}

const PROBLEM_KEYS = ['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId'];

async function expectProblem(response: Response, status: number, code: string): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await response.json()) as Problem;
  for (const key of PROBLEM_KEYS) expect(body).toHaveProperty(key);
  expect(body.status).toBe(status);
  expect(body.code).toBe(code);
  expect(body.type).toBe(`urn:modelgate:problem:${code}`);
  expect(body.requestId).toBe(response.headers.get('x-request-id'));
  return body;
}

describe('Foundation', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startTestApp({ BODY_LIMIT_BYTES: '2048' }, { imports: [ProbeModule] });
  });

  afterAll(async () => {
    await server.close();
  });

  describe('health', () => {
    it('should report live', async () => {
      const response = await fetch(`${server.url}/health/live`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ok' });
    });

    it('should report ready when the database answers', async () => {
      const response = await fetch(`${server.url}/health/ready`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { status: string; details: Record<string, { status: string }> };
      expect(body.status).toBe('ok');
      expect(body.details.database.status).toBe('up');
    });
  });

  describe('readiness hook', () => {
    it('should answer 503 while a registered indicator is down, and 200 again when it recovers', async () => {
      const registry = server.app.get(HealthRegistry);
      const indicators = server.app.get(HealthIndicatorService);
      let up = false;
      registry.register('probe', () =>
        Promise.resolve(up ? indicators.check('probe').up() : indicators.check('probe').down({ reason: 'testing' })),
      );
      const down = await fetch(`${server.url}/health/ready`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({
        status: 'error',
        error: { probe: { status: 'down', reason: 'testing' } },
      });
      up = true;
      expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    });
  });

  describe('CORS', () => {
    it('should answer a browser (a request with Origin) with the CORS fields, and leave them off otherwise', async () => {
      const browser = await fetch(`${server.url}/health/live`, { headers: { origin: 'http://app.example' } });
      expect(browser.headers.get('access-control-allow-origin')).toBe('http://app.example');
      expect(browser.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
      expect(browser.headers.get('vary')).toContain('Origin');
      const backend = await fetch(`${server.url}/health/live`);
      expect(backend.status).toBe(200);
      expect(backend.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('should answer a preflight before authentication, and let a browser read an error', async () => {
      const preflight = await fetch(`${server.url}/v1/models/iris/predict`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'x-api-key,content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://app.example');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
      expect(preflight.headers.get('access-control-allow-headers')).toBe('x-api-key,content-type');
      const denied = await fetch(`${server.url}/v1/models/iris/predict`, {
        method: 'POST',
        headers: { origin: 'http://app.example', 'content-type': 'application/json' },
        body: '{}',
      });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('access-control-allow-origin')).toBe('http://app.example');
      expect(denied.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    });
  });

  describe('request ids', () => {
    it('should echo a sane X-Request-Id', async () => {
      const response = await fetch(`${server.url}/health/live`, { headers: { 'X-Request-Id': 'client-req-42' } });
      expect(response.headers.get('x-request-id')).toBe('client-req-42');
    });

    it('should replace an insane X-Request-Id with a new one', async () => {
      const response = await fetch(`${server.url}/health/live`, { headers: { 'X-Request-Id': 'bad id <script>' } });
      const id = response.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('should put a request id on error responses too', async () => {
      const response = await fetch(`${server.url}/v1/nothing-here`, { headers: { 'X-Request-Id': 'trace-404' } });
      const body = await expectProblem(response, 404, 'not_found');
      expect(body.requestId).toBe('trace-404');
    });
  });

  describe('errors', () => {
    it('should answer an unknown /v1 route with problem details', async () => {
      const body = await expectProblem(await fetch(`${server.url}/v1/nothing-here`), 404, 'not_found');
      // No route served it: the path is the client's text and is not echoed back (docs/API.md, round 2).
      expect(body).toMatchObject({ instance: `urn:modelgate:request:${body.requestId}`, title: 'Not Found' });
      expect(JSON.stringify(body)).not.toContain('nothing-here');
    });

    it('should answer an unknown /v2 route with an Open Inference Protocol error', async () => {
      const response = await fetch(`${server.url}/v2/nothing-here`);
      expect(response.status).toBe(404);
      const body = (await response.json()) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(['error']);
      expect(typeof body.error).toBe('string');
    });

    it('should answer 401 with a Bearer challenge on a protected route without credentials', async () => {
      const response = await fetch(`${server.url}/v1/probe/protected`);
      await expectProblem(response, 401, 'unauthorized');
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="modelgate"');
    });

    it('should answer 413 when the body exceeds the limit', async () => {
      const response = await fetch(`${server.url}/v1/probe/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'x'.repeat(4096), count: 1 }),
      });
      await expectProblem(response, 413, 'payload_too_large');
    });

    it('should answer 415 when the body is not JSON', async () => {
      const response = await fetch(`${server.url}/v1/probe/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: 'name=a&count=1',
      });
      await expectProblem(response, 415, 'unsupported_media_type');
    });

    it('should answer 400 invalid_json for malformed JSON', async () => {
      const response = await fetch(`${server.url}/v1/probe/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"name": "a", "count": ',
      });
      await expectProblem(response, 400, 'invalid_json');
    });

    it('should answer 400 validation_failed with field errors', async () => {
      const response = await fetch(`${server.url}/v1/probe/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 7, count: 0 }),
      });
      const body = await expectProblem(response, 400, 'validation_failed');
      expect(body.errors?.map((error) => error.field).sort()).toEqual(['count', 'name']);
    });

    it('should answer a valid body', async () => {
      const response = await fetch(`${server.url}/v1/probe/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'a', count: 2 }),
      });
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({ name: 'a', count: 2 });
    });

    it('should never leak internals in a 500', async () => {
      const response = await fetch(`${server.url}/v1/probe/crash`);
      const body = await expectProblem(response, 500, 'internal_error');
      const text = JSON.stringify(body);
      expect(text).not.toMatch(/SELECT|secret|\/etc\/|at .*\.ts/);
    });
  });

  describe('metrics', () => {
    it('should expose HTTP durations by route template and status', async () => {
      await fetch(`${server.url}/health/live`);
      const response = await fetch(`${server.url}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toMatch(
        /http_request_duration_seconds_count\{method="GET",route="\/health\/live",status_code="200"\} \d+/,
      );
    });
  });

  describe('docs', () => {
    it('should serve a valid OpenAPI document with both security schemes', async () => {
      const response = await fetch(`${server.url}/docs/openapi.json`);
      expect(response.status).toBe(200);
      const document = (await response.json()) as {
        components: { securitySchemes: Record<string, Record<string, unknown>> };
      };
      await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
      expect(document.components.securitySchemes.oauth2).toMatchObject({
        type: 'oauth2',
        flows: { clientCredentials: { tokenUrl: '/oauth/token' } },
      });
      expect(document.components.securitySchemes.apiKey).toMatchObject({
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
      });
    });

    it('should serve Swagger UI and its assets', async () => {
      const response = await fetch(`${server.url}/docs`);
      expect(response.status).toBe(200);
      const html = await response.text();
      expect(html).toContain('swagger-ui');
      const assets = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((match) => match[1]);
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) {
        // Resolved as a browser on /docs resolves them.
        const url = new URL(asset, `${server.url}/docs`);
        const assetResponse = await fetch(url);
        expect(assetResponse.status, url.pathname).toBe(200);
      }
    });
  });
});
