/**
 * What a call leaves behind for the usage pipeline, metrics and timing fields, filled in as it is
 * handled, whatever its protocol: the data plane sets the model fields and timings, the error handler
 * the error code. A plain object: a protocol adapter creates one per call and meters it afterwards.
 */
export interface CallContext {
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
  /** The answering version's deprecation headers (RFC 9745 `Deprecation`, RFC 8594 `Sunset` and its `Link`). */
  versionHeaders?: { deprecation?: string; sunset?: string; link?: string };
  /** The shadow version this call is mirrored to (picked with the shadow's share of default-routed calls). */
  shadowVersion?: number;
  /** A shadow run to hand over once the caller's response is sent (the adapter calls it then). */
  afterResponse?: () => void;
}

declare module 'fastify' {
  interface FastifyRequest {
    usage?: CallContext;
    /** The matched route's URL pattern (`/v1/models/:name/predict`), '' when none matched (app.factory.ts). */
    routeUrl: string;
  }
}

/** The request's call context, created on first use. */
export function usageContext(request: { usage?: CallContext }): CallContext {
  return (request.usage ??= {});
}
