import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSentRequestId } from '../observability/request-id';
import { RecordedUsageEvent } from './usage-event';
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

/** The response body's size as it leaves (a stream's is not known: 0). */
function payloadBytes(payload: unknown): number {
  if (typeof payload === 'string') return Buffer.byteLength(payload);
  if (Buffer.isBuffer(payload)) return payload.length;
  return 0;
}

function usageEvent(request: FastifyRequest, reply: FastifyReply, path: string, payload: unknown): RecordedUsageEvent {
  const principal = request.principal!;
  const usage = request.usage;
  const latencyMs = reply.elapsedTime;
  const requestId = String(request.id);
  return {
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
    responseBytes: payloadBytes(payload),
    batchItems: usage?.batchItems ?? null,
  };
}

/**
 * Meters every authenticated request to `/v1`, `/v2` and the token endpoint: one usage event each,
 * built as the response is about to be sent (status, body and timings are known) and handed to the
 * recorder, which journals it before the response goes out (usage-recorder.service.ts). Registered
 * after every other onSend hook, so that it sees the response as sent.
 */
export function registerUsageHook(fastify: FastifyInstance, recorder: UsageRecorder): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (!request.principal) return done(null, payload);
    const path = request.url.split('?', 1)[0];
    if (!METERED.test(path)) return done(null, payload);
    recorder.record(usageEvent(request, reply, path, payload), () => done(null, payload));
  });
}
