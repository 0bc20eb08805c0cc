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
