import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { rootLogger } from '../../observability/logging';
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
import { ShutdownService } from '../../lifecycle/shutdown.service';
import { MetricsService } from '../../observability/metrics.service';
import { UsageRecorder } from '../../usage/usage-recorder.service';
import { registerInferenceHooks, runAfterResponse } from './inference-hooks';
import { INFERENCE_PATHS, InferenceRoutes } from './inference.routes';
import { UsageLiveRoutes } from '../live/usage-live.routes';
import { INFERENCE_HEADER_LENGTH } from '../v2/oip-rest';
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
    // Draining is ShutdownService's: a request that reaches a closing server is served, not refused.
    return503OnClosing: false,
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
  const shutdown = app.get(ShutdownService);
  // Draining (ShutdownService): every response ends its connection, so that clients and proxies move
  // their keep-alive connections to instances that stay.
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (shutdown.isShuttingDown) void reply.header('Connection', 'close');
    done();
  });
  observeRequests(fastify, app.get(MetricsService));
  registerUsageHook(fastify, app.get(UsageRecorder));
  app.get(InferenceRoutes).register(fastify);
  app.get(UsageLiveRoutes).register(fastify);
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
    if (OIP_INFER_ROUTES.has(request.routeUrl)) readInferBodyAs(request.headers);
    const type = request.headers['content-type'];
    if (type !== undefined && request.routeUrl && !acceptsBody(request.method, request.routeUrl, type)) {
      const expected = bodyTypesOf(request.method, request.routeUrl).join(' or ');
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

/** Routes whose body is not (only) JSON. */
const NON_JSON_BODIES: Record<string, string[]> = {
  'PUT /v1/admin/models/:name/versions/:version': ['application/octet-stream'],
  [`POST ${INFERENCE_PATHS.infer}`]: ['application/json', 'application/octet-stream'],
  [`POST ${INFERENCE_PATHS.inferVersion}`]: ['application/json', 'application/octet-stream'],
};

const OIP_INFER_ROUTES = new Set<string>([INFERENCE_PATHS.infer, INFERENCE_PATHS.inferVersion]);

function bodyTypesOf(method: string, routeUrl: string): string[] {
  if (routeUrl.startsWith('/oauth/')) return ['application/x-www-form-urlencoded'];
  return NON_JSON_BODIES[`${method} ${routeUrl}`] ?? ['application/json'];
}

/**
 * How a `/v2/.../infer` body is read: with Inference-Header-Content-Length as a JSON part followed by
 * binary tensor data, whatever Content-Type says; without Content-Type as JSON (tritonclient sends none).
 */
function readInferBodyAs(headers: FastifyRequest['headers']): void {
  if (headers[INFERENCE_HEADER_LENGTH] !== undefined) headers['content-type'] = 'application/octet-stream';
  else headers['content-type'] ??= 'application/json';
}

/**
 * Whether a route takes a body of this Content-Type (checked before the body is read, so that a form or
 * a model-sized upload sent to a JSON route is a 415 at once: docs/API.md, "Every response, every surface").
 */
function acceptsBody(method: string, routeUrl: string, contentType: string): boolean {
  const media = contentType.split(';', 1)[0].trim().toLowerCase();
  return bodyTypesOf(method, routeUrl).includes(media);
}

/** One metrics observation and one access-log line per request (health and metrics polls are not logged). */
function observeRequests(fastify: FastifyInstance, metrics: MetricsService): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeUrl || 'unmatched';
    metrics.observeHttp(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    const level = reply.statusCode >= 500 ? 'error' : 'info';
    if (rootLogger().isLevelEnabled(level) && !QUIET_ROUTES.test(request.url)) {
      rootLogger()[level](
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
    runAfterResponse(request);
    done();
  });
}

const QUIET_ROUTES = /^\/(health|metrics)(\/|$|\?)/;
