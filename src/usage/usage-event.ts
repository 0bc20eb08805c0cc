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

/**
 * The fields of a stored event in the order of a usage row: one JSON array of their values followed by
 * the client-id flag. A row is what the journal and the spool hold (one per line) and what a batch
 * sends PostgreSQL (usage-events.repository.ts): each event is serialized once, when it is recorded.
 */
export const USAGE_ROW_FIELDS = [
  'occurredAt',
  'requestId',
  'principalType',
  'principalId',
  'apiVersion',
  'protocol',
  'method',
  'route',
  'model',
  'modelVersion',
  'status',
  'errorCode',
  'latencyMs',
  'queueMs',
  'inferMs',
  'requestBytes',
  'responseBytes',
  'batchItems',
] as const satisfies readonly (keyof UsageEvent)[];

/** A usage row (see USAGE_ROW_FIELDS): the event's values in order, then whether the client chose its id. */
export function usageRow(event: RecordedUsageEvent): string {
  return JSON.stringify([
    event.occurredAt,
    event.requestId,
    event.principalType,
    event.principalId,
    event.apiVersion,
    event.protocol,
    event.method,
    event.route,
    event.model,
    event.modelVersion,
    event.status,
    event.errorCode,
    event.latencyMs,
    event.queueMs,
    event.inferMs,
    event.requestBytes,
    event.responseBytes,
    event.batchItems,
    event.requestIdFromClient ?? true,
  ]);
}

/**
 * The row of one line of a journal or spool file: a row as written now, or an event object (the files
 * of versions before rows); undefined for a line cut short by a crash mid-write (its request was not
 * answered) or anything else that is not an event.
 */
export function usageRowOfLine(line: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (Array.isArray(parsed)) return parsed.length === USAGE_ROW_FIELDS.length + 1 ? line : undefined;
  if (typeof parsed === 'object' && parsed !== null && typeof (parsed as UsageEvent).requestId === 'string')
    return usageRow(parsed as RecordedUsageEvent);
  return undefined;
}

/** The event a usage row stands for (tests, and tools reading the journal). */
export function eventOfUsageRow(row: string): RecordedUsageEvent {
  const values = JSON.parse(row) as unknown[];
  const event = Object.fromEntries(USAGE_ROW_FIELDS.map((field, index) => [field, values[index]]));
  return { ...(event as unknown as UsageEvent), requestIdFromClient: values[USAGE_ROW_FIELDS.length] as boolean };
}
