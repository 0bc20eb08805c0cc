import type { FastifyInstance } from 'fastify';
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
 * errors included, and the successor-version `Link` to `/v1` routes that have a `/v2` successor.
 */
export function registerInferenceHooks(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const route = request.routeUrl;
    const successor = SUCCESSORS[route];
    if (successor) void reply.header('Link', successor(request.params as Params));
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
