/**
 * What a request leaves behind for the usage pipeline and metrics, filled in as it is handled:
 * the inference module sets the model fields and timings, the exception filter the error code.
 */
export interface RequestUsageContext {
  model?: string;
  version?: string;
  /** Milliseconds spent waiting in the model's queue / batcher. */
  queueMs?: number;
  /** Milliseconds spent in ONNX Runtime. */
  inferMs?: number;
  /** Answered from the model's response cache. */
  cached?: boolean;
  /** Batch items (rows) this request contributed. */
  batchItems?: number;
  /** The stable error code of a failed request (`model_not_found`, `rate_limited`, ...). */
  errorCode?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    usage?: RequestUsageContext;
    /** The matched route's URL pattern (`/v1/models/:name/predict`), '' when none matched (app.factory.ts). */
    routeUrl: string;
  }
}

/** The request's usage context, created on first use. */
export function usageContext(request: { usage?: RequestUsageContext }): RequestUsageContext {
  return (request.usage ??= {});
}
