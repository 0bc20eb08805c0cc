import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DomainError } from '../common/errors/domain.error';
import { CommonErrorCode } from '../common/errors/error-codes';
import { sendError } from '../common/errors/error-response';
import { rootLogger } from '../observability/logging';

export const CONSOLE_PATH = '/console';

/**
 * The console's Content-Security-Policy: everything from the platform itself (no CDN), WebSockets to it
 * (its public host, for browsers that do not count ws: as 'self') for the live view, inline styles for the
 * charts' SVG attributes, no framing.
 */
export function consoleCsp(publicUrl: string): string {
  const { host } = new URL(publicUrl);
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self' ws://${host} wss://${host}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** Where `npm run build` puts the console (console/vite.config.mts): `<project>/dist/console`. */
export function consoleBuildDir(): string {
  // dist/src/console/ when built, src/console/ under the tests: both find the project's dist/console.
  let directory = __dirname;
  while (!existsSync(join(directory, 'package.json')) && dirname(directory) !== directory)
    directory = dirname(directory);
  return join(directory, 'dist', 'console');
}

/**
 * Serves the admin console (docs/API.md, "Admin sign-in (SSO) and the console") with @fastify/static:
 * `/console/assets/*` (content-hashed file names: cached for a year, immutable) and, for every other path
 * under `/console`, the single page's index.html (revalidated on each load: `no-cache` and an ETag), so that
 * a deep link or a reload lands on the page it names. The routes are plain Fastify routes like the docs':
 * the guard does not apply (the page holds no data; the API calls it makes are authenticated) and they are
 * not in the OpenAPI document. A path with a file extension that is not an asset is a 404.
 */
export function serveConsole(app: NestFastifyApplication, publicUrl: string, directory = consoleBuildDir()): void {
  const csp = consoleCsp(publicUrl);
  const indexFile = join(directory, 'index.html');
  const index = existsSync(indexFile) ? readFileSync(indexFile) : undefined;
  if (!index)
    rootLogger().warn({ directory }, 'The console is not built (npm run build builds it): /console answers 404');
  const etag = index ? `"${createHash('sha256').update(index).digest('base64url').slice(0, 27)}"` : '';

  const sendIndex = (request: FastifyRequest, reply: FastifyReply) => {
    if (!index) {
      return sendError(
        new DomainError(CommonErrorCode.NotFound, 'The console is not built on this server (npm run build builds it).'),
        request,
        reply,
      );
    }
    const last = request.url.split('?', 1)[0].split('/').pop() ?? '';
    if (last.includes('.')) {
      return sendError(new DomainError(CommonErrorCode.NotFound, 'There is no such console file.'), request, reply);
    }
    void reply
      .header('Cache-Control', 'no-cache')
      .header('ETag', etag)
      .header('Content-Security-Policy', csp)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'same-origin')
      .header('X-Frame-Options', 'DENY');
    if (request.headers['if-none-match'] === etag) return void reply.status(304).send();
    void reply.type('text/html; charset=utf-8').send(index);
  };

  void app
    .getHttpAdapter()
    .getInstance()
    .register(async (instance) => {
      if (index) {
        await instance.register(fastifyStatic, {
          root: join(directory, 'assets'),
          prefix: `${CONSOLE_PATH}/assets/`,
          decorateReply: false,
          index: false,
          immutable: true,
          maxAge: '365d',
          setHeaders: (reply) => void reply.header('X-Content-Type-Options', 'nosniff'),
        });
      }
      instance.get(CONSOLE_PATH, sendIndex);
      instance.get(`${CONSOLE_PATH}/*`, sendIndex);
    });
}
