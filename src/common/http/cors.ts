import type { FastifyInstance } from 'fastify';

export interface CorsSettings {
  /** Origins allowed to read responses, or `*` for any (the request's Origin is echoed back). */
  origins: string[] | '*';
  /** Response headers a browser script may read. */
  exposedHeaders: string[];
}

const METHODS = 'GET, HEAD, PUT, PATCH, POST, DELETE';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/**
 * CORS (the Fetch standard) for browsers: a request from an allowed Origin gets it back in
 * `Access-Control-Allow-Origin` with the exposed headers, errors included; a preflight is answered here,
 * 204, before routing and authentication. Requests without an Origin (every server-to-server call) pass
 * untouched. Written here rather than with @fastify/cors, which spreads and normalises its options on
 * every request, Origin or not: a measurable share of a small model's request.
 */
export function registerCors(fastify: FastifyInstance, settings: CorsSettings): void {
  const exposed = settings.exposedHeaders.join(', ');
  const allowed = (origin: string) => settings.origins === '*' || settings.origins.includes(origin);
  fastify.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin === undefined) return done();
    void reply.header('Vary', 'Origin');
    if (!allowed(origin)) return done();
    void reply.header('Access-Control-Allow-Origin', origin);
    const method = request.headers['access-control-request-method'];
    if (request.method !== 'OPTIONS' || method === undefined) {
      void reply.header('Access-Control-Expose-Headers', exposed);
      return done();
    }
    void reply.header('Access-Control-Allow-Methods', METHODS);
    const headers = request.headers['access-control-request-headers'];
    if (headers) void reply.header('Access-Control-Allow-Headers', headers);
    void reply.header('Access-Control-Max-Age', PREFLIGHT_MAX_AGE_SECONDS);
    void reply.code(204).send();
  });
}
