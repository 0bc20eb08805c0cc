import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isSentRequestId } from '../observability/request-id';
import { UsageRecorder } from './usage-recorder.service';

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

/**
 * Meters every authenticated request to `/v1`, `/v2` and the token endpoint: one usage event each,
 * handed to the recorder without waiting (the hot path does no I/O here).
 */
export function registerUsageHook(fastify: FastifyInstance, recorder: UsageRecorder): void {
  fastify.addHook('onResponse', (request: FastifyRequest, reply, done) => {
    const principal = request.principal;
    const path = request.url.split('?', 1)[0];
    if (principal && METERED.test(path)) {
      const usage = request.usage;
      const latencyMs = reply.elapsedTime;
      const requestId = String(request.id);
      recorder.record({
        occurredAt: new Date(Date.now() - latencyMs).toISOString(),
        requestId,
        requestIdFromClient: isSentRequestId(request.raw, requestId),
        principalType: principal.type,
        principalId: principal.id,
        apiVersion: apiVersion(path),
        method: request.method,
        route: request.routeUrl || path.slice(0, 200),
        model: usage?.model ?? null,
        modelVersion: usage?.version ?? null,
        status: reply.statusCode,
        errorCode: reply.statusCode >= 400 ? (usage?.errorCode ?? null) : null,
        latencyMs,
        queueMs: usage?.queueMs ?? null,
        inferMs: usage?.inferMs ?? null,
        requestBytes: byteLength(request.headers['content-length']),
        responseBytes: byteLength(reply.getHeader('content-length')),
        batchItems: usage?.batchItems ?? null,
      });
    }
    done();
  });
}
