import { RecordedUsageEvent, usageRow } from '../../src/usage/usage-event';

/** A metered predict request as the usage hook records it, with what a test cares about overridden. */
export function usageEvent(
  overrides: Partial<RecordedUsageEvent> & Pick<RecordedUsageEvent, 'requestId'>,
): RecordedUsageEvent {
  return {
    occurredAt: new Date().toISOString(),
    requestIdFromClient: false,
    principalType: 'api_key',
    principalId: 'key-1',
    apiVersion: 'v1',
    protocol: 'http',
    method: 'POST',
    route: '/v1/models/:name/predict',
    model: 'iris',
    modelVersion: '1',
    status: 200,
    errorCode: null,
    latencyMs: 1.5,
    queueMs: null,
    inferMs: 0.2,
    requestBytes: 40,
    responseBytes: 200,
    batchItems: 1,
    ...overrides,
  };
}

/** The same event as the usage row the recorder writes (journal lines, batches). */
export function usageRowOf(overrides: Partial<RecordedUsageEvent> & Pick<RecordedUsageEvent, 'requestId'>): string {
  return usageRow(usageEvent(overrides));
}
