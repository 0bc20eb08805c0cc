import { VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { Logger, PinoLogger } from 'nestjs-pino';
import { AppModule, ModuleImport } from './app.module';
import { registerCors } from './common/http/cors';
import { jsonBodyParser } from './common/http/json-body';
import { INFERENCE_MODELS } from './inference/inference.docs';
import { registerInferenceHooks } from './inference/inference-hooks';
import { InferenceRoutes } from './inference/inference.routes';
import { Configuration } from './config/configuration';
import { setupDocs } from './docs/setup-docs';
import { MetricsService } from './observability/metrics.service';
import { REQUEST_ID_HEADER, requestIdOf } from './observability/request-id';
import { registerUsageHook } from './usage/usage-hook';
import { UsageRecorder } from './usage/usage-recorder.service';
import { version } from './version';

/**
 * Builds the application (not yet listening): Fastify with request ids, body parsing and error
 * handling; URI versioning; the OpenAPI document; metrics hooks. Used by `main.ts` and the tests.
 */
export interface CreateAppOptions {
  /** Extra modules to mount (tests use this for probe routes). */
  imports?: ModuleImport[];
}

export async function createApp(
  configuration: Configuration,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: configuration.app.bodyLimitBytes,
    genReqId: requestIdOf,
    requestIdHeader: false,
    return503OnClosing: true,
  });
  configureFastify(adapter.getInstance(), configuration);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(configuration, options.imports),
    adapter,
    {
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(Logger));
  app.useBodyParser(
    'application/json',
    { bodyLimit: configuration.app.bodyLimitBytes },
    jsonBodyParser(adapter.getInstance()),
  );
  app.enableVersioning({ type: VersioningType.URI });
  observeRequests(adapter.getInstance(), app.get(MetricsService));
  registerUsageHook(adapter.getInstance(), app.get(UsageRecorder));
  // After every hook, so that they all apply to these routes.
  app.get(InferenceRoutes).register(adapter.getInstance());
  setupDocs(app, configuration.app, version, INFERENCE_MODELS);
  return app;
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
