import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { DomainError } from '../../common/errors/domain.error';
import { CommonErrorCode } from '../../common/errors/error-codes';
import { sendError, writeClientError } from '../../common/errors/error-response';
import { registerCors } from '../../common/http/cors';
import { formBodyParser } from '../../common/http/form-body';
import { invalidText, urlHasNul } from '../../common/http/input-hygiene';
import { jsonBodyParser } from '../../common/http/json-body';
import { REQUEST_ID_HEADER, requestIdOf } from '../../common/request-id';
import { Configuration } from '../../config/configuration';
import { OAuthErrorCode } from '../../oauth/oauth.errors';
import { MetricsService } from '../../observability/metrics.service';
import { UsageRecorder } from '../../usage/usage-recorder.service';
import { registerInferenceHooks } from './inference-hooks';
import { InferenceRoutes } from './inference.routes';
import { registerUsageHook } from './usage-hook';

/**
 * The HTTP server: Fastify with request ids, CORS, body parsing, the edge's input checks and error
 * handling (every error in its surface's format), before NestJS takes the application's routes.
 */
export function createFastifyAdapter(configuration: Configuration): FastifyAdapter {
  const adapter = new FastifyAdapter({
    bodyLimit: configuration.app.bodyLimitBytes,
    genReqId: requestIdOf,
    requestIdHeader: false,
    return503OnClosing: true,
    // Errors the router raises before any hook (a malformed URL: 400; a path segment over 100
    // characters: 414) and those of the HTTP parser (bad request line or header: 400; headers too
    // large: 431) are answered in the surface's own format, with a request id, echoing nothing.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => sendError(error, request, reply),
    clientErrorHandler: writeClientError,
  });
  configureFastify(adapter.getInstance(), configuration);
  return adapter;
}

/**
 * What the application adds once it exists: its body parsers, the metrics and access-log hook, usage
 * metering, and (after every hook, so that they all apply) the inference routes.
 */
export function configureHttp(app: NestFastifyApplication, configuration: Configuration): void {
  const fastify = app.getHttpAdapter().getInstance();
  app.useBodyParser('application/json', { bodyLimit: configuration.app.bodyLimitBytes }, jsonBodyParser(fastify));
  app.useBodyParser(
    'application/x-www-form-urlencoded',
    { bodyLimit: configuration.app.bodyLimitBytes },
    formBodyParser(),
  );
  observeRequests(fastify, app.get(MetricsService));
  registerUsageHook(fastify, app.get(UsageRecorder));
  app.get(InferenceRoutes).register(fastify);
}

function configureFastify(fastify: FastifyInstance, configuration: Configuration): void {
  registerCors(fastify, {
    origins: configuration.app.corsOrigins,
    exposedHeaders: [
      'X-Request-Id',
      'Retry-After',
      'RateLimit',
      'RateLimit-Policy',
      'Server-Timing',
      'Link',
      'WWW-Authenticate',
    ],
  });
  fastify.decorateRequest('routeUrl', '');
  fastify.addHook('onRequest', (request, reply, done) => {
    // Fastify builds `routeOptions` afresh on every read: the hooks read the route from here instead.
    request.routeUrl = request.routeOptions.url ?? '';
    void reply.header(REQUEST_ID_HEADER, request.id);
    if (urlHasNul(request.url)) return done(invalidText('The URL', 'a NUL byte'));
    const type = request.headers['content-type'];
    if (type !== undefined && request.routeUrl && !acceptsBody(request.method, request.routeUrl, type)) {
      const expected = bodyTypeOf(request.method, request.routeUrl);
      // RFC 6749 §5.2: a token request of the wrong form is invalid_request (400), not a 415.
      const code = request.routeUrl.startsWith('/oauth/')
        ? OAuthErrorCode.InvalidRequest
        : CommonErrorCode.UnsupportedMediaType;
      return done(new DomainError(code, `This operation takes ${expected} bodies.`));
    }
    done();
  });
  // JSON is the only text body the API takes: anything else is a 415, not a string to trip over.
  fastify.removeContentTypeParser('text/plain');
  // Model uploads are raw ONNX bytes, with their own (larger) size limit.
  fastify.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer', bodyLimit: configuration.models.maxUploadBytes },
    (_request, body, done) => done(null, body),
  );
  registerInferenceHooks(fastify);
}

/** Routes whose body is not JSON. */
const NON_JSON_BODIES: Record<string, string> = {
  'PUT /v1/admin/models/:name/versions/:version': 'application/octet-stream',
};

function bodyTypeOf(method: string, routeUrl: string): string {
  if (routeUrl.startsWith('/oauth/')) return 'application/x-www-form-urlencoded';
  return NON_JSON_BODIES[`${method} ${routeUrl}`] ?? 'application/json';
}

/**
 * Whether a route takes a body of this Content-Type (checked before the body is read, so that a form or
 * a model-sized upload sent to a JSON route is a 415 at once: docs/API.md, "Every response, every surface").
 */
function acceptsBody(method: string, routeUrl: string, contentType: string): boolean {
  const media = contentType.split(';', 1)[0].trim().toLowerCase();
  return media === bodyTypeOf(method, routeUrl);
}

/** One metrics observation and one access-log line per request (health and metrics polls are not logged). */
function observeRequests(fastify: FastifyInstance, metrics: MetricsService): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeUrl || 'unmatched';
    metrics.observeHttp(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    const level = reply.statusCode >= 500 ? 'error' : 'info';
    if (PinoLogger.root.isLevelEnabled(level) && !QUIET_ROUTES.test(request.url)) {
      PinoLogger.root[level](
        {
          requestId: request.id,
          method: request.method,
          url: request.url.split('?', 1)[0],
          route,
          statusCode: reply.statusCode,
          responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
          principal: request.principal ? { type: request.principal.type, id: request.principal.id } : undefined,
          errorCode: request.usage?.errorCode,
        },
        'request completed',
      );
    }
    done();
  });
}

const QUIET_ROUTES = /^\/(health|metrics)(\/|$|\?)/;
