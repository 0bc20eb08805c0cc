import type { FastifyInstance } from 'fastify';
import { isSentRequestId } from '../../common/request-id';
import { usageEventOf } from '../../usage/usage-event';
import { UsageRecorder } from '../../usage/usage-recorder.service';

/** The REST surfaces that are metered: `/v1` (the admin API too), `/v2` and the token endpoint. */
const METERED = /^\/(v1|v2)(\/|$)|^\/oauth\/token$/;

function apiVersion(path: string): string {
  if (path.startsWith('/v1')) return 'v1';
  if (path.startsWith('/v2')) return 'v2';
  return 'oauth';
}

function byteLength(value: unknown): number {
  const parsed = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : 0;
}

/** The response body's size as it leaves (a stream's is not known: 0). */
function payloadBytes(payload: unknown): number {
  if (typeof payload === 'string') return Buffer.byteLength(payload);
  if (Buffer.isBuffer(payload)) return payload.length;
  return 0;
}

/**
 * Meters every authenticated REST call to a metered surface: one usage event each (usageEventOf),
 * built as the response is about to be sent (status, body and timings are known) and handed to the
 * recorder, which journals it before the response goes out (usage-recorder.service.ts). Registered
 * after every other onSend hook, so that it sees the response as sent.
 */
export function registerUsageHook(fastify: FastifyInstance, recorder: UsageRecorder): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const principal = request.principal;
    if (!principal) return done(null, payload);
    const path = request.url.split('?', 1)[0];
    if (!METERED.test(path)) return done(null, payload);
    const requestId = String(request.id);
    const event = usageEventOf({
      principal,
      call: request.usage,
      apiVersion: apiVersion(path),
      protocol: 'http',
      method: request.method,
      route: request.routeUrl || path.slice(0, 200),
      requestId,
      requestIdFromClient: isSentRequestId(request.raw, requestId),
      status: reply.statusCode,
      latencyMs: reply.elapsedTime,
      requestBytes: byteLength(request.headers['content-length']),
      responseBytes: payloadBytes(payload),
    });
    recorder.record(event, () => done(null, payload));
  });
}
