import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleBuildDir } from '../../src/console/console-assets';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The console's files as the platform serves them (built by `npm run build` into dist/console): open, with
 * cache headers that fit each, the single page for every page path, problem details for what is not there.
 */
describe('Console assets', () => {
  let server: TestApp;
  let script: string;

  beforeAll(async () => {
    server = await startTestApp();
    const assets = readdirSync(join(consoleBuildDir(), 'assets'));
    script = assets.find((name) => name.endsWith('.js'))!;
    expect(script, 'npm run build builds the console into dist/console').toBeDefined();
  });

  afterAll(async () => {
    await server.close();
  });

  it('should serve the page without credentials, revalidated on each load, with a strict CSP', async () => {
    const response = await fetch(`${server.url}/console`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(`connect-src 'self' ws://${new URL(server.url).host} wss://${new URL(server.url).host}`);
    const html = await response.text();
    expect(html).toBe(readFileSync(join(consoleBuildDir(), 'index.html'), 'utf8'));
    // Every script and stylesheet is the platform's own (no CDN).
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(
      references.filter((reference) => !reference.startsWith('/console/assets/') && !reference.startsWith('data:')),
    ).toEqual([]);

    const etag = response.headers.get('etag')!;
    const again = await fetch(`${server.url}/console`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('should answer every page path with the page (deep links and reloads)', async () => {
    const index = await (await fetch(`${server.url}/console`)).text();
    for (const path of ['/console/', '/console/api-keys', '/console/models', '/console/audit?action=api_key.*']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).toBe(index);
    }
    const head = await fetch(`${server.url}/console/usage`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('should serve the hashed assets as immutable for a year', async () => {
    const response = await fetch(`${server.url}/console/assets/${script}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^(application|text)\/javascript/);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(1000);
  });

  it('should answer a file that is not there with problem details, not the page', async () => {
    for (const path of ['/console/assets/missing.js', '/console/favicon.png', '/console/assets/../../package.json']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('x-request-id'), path).toBeTruthy();
      const body = (await response.json()) as { code: string };
      expect(body.code, path).toBe('not_found');
    }
    const post = await fetch(`${server.url}/console`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(post.status).toBe(404);
    expect(post.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('should keep the console out of the OpenAPI document', async () => {
    const document = (await (await fetch(`${server.url}/docs/openapi.json`)).json()) as { paths: object };
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/console'))).toEqual([]);
  });
});
