/** One metered request (billing grade): what `usage_events` stores. */
export interface UsageEvent {
  occurredAt: string;
  requestId: string;
  principalType: string;
  principalId: string;
  apiVersion: string;
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
