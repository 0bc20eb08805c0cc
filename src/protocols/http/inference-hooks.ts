import type { FastifyInstance, FastifyRequest } from 'fastify';
import { INFERENCE_PATHS } from './inference.routes';

type Params = Record<string, string>;
const e = encodeURIComponent;

/** `/v1` model routes and the `/v2` routes that succeed them (docs/API.md: `Link: rel="successor-version"`). */
const SUCCESSORS: Record<string, (p: Params) => string> = {
  '/v1/models/:name': (p) => `</v2/models/${e(p.name)}>; rel="successor-version"`,
  '/v1/models/:name/versions/:version': (p) =>
    `</v2/models/${e(p.name)}/versions/${e(p.version)}>; rel="successor-version"`,
  [INFERENCE_PATHS.predict]: (p) => `</v2/models/${e(p.name)}/infer>; rel="successor-version"`,
  [INFERENCE_PATHS.predictVersion]: (p) =>
    `</v2/models/${e(p.name)}/versions/${e(p.version)}/infer>; rel="successor-version"`,
};

const INFERENCE_ROUTES = new Set<string>(Object.values(INFERENCE_PATHS));

/**
 * Adds `Server-Timing` (queue, infer, total; `cache` on a cache hit) to every inference response,
 * errors included, the successor-version `Link` to `/v1` routes that have a `/v2` successor, and a
 * deprecated version's `Deprecation`, `Sunset` and `Link: rel="sunset"`. Once the response is sent,
 * hands over the call's shadow run, if it has one.
 */
export function registerInferenceHooks(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const route = request.routeUrl;
    const successor = SUCCESSORS[route];
    const link = successor?.(request.params as Params);
    const lifecycle = request.usage?.versionHeaders;
    if (lifecycle) {
      if (lifecycle.deprecation) void reply.header('Deprecation', lifecycle.deprecation);
      if (lifecycle.sunset) void reply.header('Sunset', lifecycle.sunset);
      if (lifecycle.link) void reply.header('Link', link ? `${link}, ${lifecycle.link}` : lifecycle.link);
      else if (link) void reply.header('Link', link);
    } else if (link) void reply.header('Link', link);
    if (INFERENCE_ROUTES.has(route)) {
      const usage = request.usage;
      const total = reply.elapsedTime;
      const cache = usage?.cached ? ', cache;desc="hit"' : '';
      void reply.header(
        'Server-Timing',
        `queue;dur=${(usage?.queueMs ?? 0).toFixed(3)}, infer;dur=${(usage?.inferMs ?? 0).toFixed(3)}, total;dur=${total.toFixed(3)}${cache}`,
      );
    }
    done(null, payload);
  });
}

/**
 * Called once the response went out (the access-log hook): hands over the call's shadow run, if it has
 * one, never before, so that it cannot delay the caller.
 */
export function runAfterResponse(request: FastifyRequest): void {
  const usage = request.usage;
  const after = usage?.afterResponse;
  if (after) {
    usage.afterResponse = undefined;
    after();
  }
}
