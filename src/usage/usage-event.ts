import type { CallContext } from '../common/request-context';
import type { Principal } from '../identity/principal';

/** One metered request (billing grade): what `usage_events` stores. */
export interface UsageEvent {
  occurredAt: string;
  requestId: string;
  principalType: string;
  principalId: string;
  apiVersion: string;
  /** `http` or `grpc`: the transport the call came in on. */
  protocol: string;
  method: string;
  route: string;
  model: string | null;
  modelVersion: string | null;
  status: number;
  errorCode: string | null;
  latencyMs: number;
  queueMs: number | null;
  inferMs: number | null;
  requestBytes: number;
  responseBytes: number;
  batchItems: number | null;
}

/** An event as recorded and written (and spooled): what is stored, and how to deduplicate it. */
export interface RecordedUsageEvent extends UsageEvent {
  /**
   * Whether the client chose the request id (`X-Request-Id`): only such ids can come back in a retry,
   * so only they go through the dedupe ledger. Absent (events spooled by an older version) counts as true.
   */
  requestIdFromClient?: boolean;
}

/** A finished call, as every protocol describes it to the meter. */
export interface CompletedCall {
  principal: Principal;
  call: CallContext | undefined;
  /** `v1`, `v2`, `oauth` (the surface it came in on). */
  apiVersion: string;
  /** `http` or `grpc`. */
  protocol: string;
  method: string;
  route: string;
  requestId: string;
  /** Whether the client chose the request id (only such ids are deduplicated). */
  requestIdFromClient: boolean;
  status: number;
  latencyMs: number;
  requestBytes: number;
  responseBytes: number;
}

/** The usage event of a finished call, whatever protocol it came in on. */
export function usageEventOf(completed: CompletedCall): RecordedUsageEvent {
  const { principal, call, status, latencyMs } = completed;
  return {
    occurredAt: new Date(Date.now() - latencyMs).toISOString(),
    requestId: completed.requestId,
    requestIdFromClient: completed.requestIdFromClient,
    principalType: principal.type,
    principalId: principal.id,
    apiVersion: completed.apiVersion,
    protocol: completed.protocol,
    method: completed.method,
    route: completed.route,
    model: call?.model ?? null,
    modelVersion: call?.version ?? null,
    status,
    errorCode: status >= 400 ? (call?.errorCode ?? null) : null,
    latencyMs,
    queueMs: call?.queueMs ?? null,
    inferMs: call?.inferMs ?? null,
    requestBytes: completed.requestBytes,
    responseBytes: completed.responseBytes,
    batchItems: call?.batchItems ?? null,
  };
}
