import { Metadata, status as Status, StatusObject } from '@grpc/grpc-js';
import { normalizeError, NormalizedError } from '../../common/errors/normalize-error';

/** The gRPC status of an error's HTTP status (docs/API.md, "Open Inference Protocol: binary tensors and gRPC"). */
export function grpcCodeOf(httpStatus: number): Status {
  switch (httpStatus) {
    case 400:
    case 413:
    case 414:
    case 415:
    case 431:
      return Status.INVALID_ARGUMENT;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 404:
      return Status.NOT_FOUND;
    case 409:
      return Status.ALREADY_EXISTS;
    case 410:
      return Status.FAILED_PRECONDITION;
    case 429:
      return Status.RESOURCE_EXHAUSTED;
    case 503:
      return Status.UNAVAILABLE;
    case 504:
      return Status.DEADLINE_EXCEEDED;
    default:
      return httpStatus >= 500 ? Status.INTERNAL : Status.INVALID_ARGUMENT;
  }
}

/**
 * Any thrown value as the status a gRPC call ends with: the code, the detail as message (nothing for an
 * unexpected error but the request id), and as trailing metadata `retry-after` and the error's own fields
 * (`ratelimit`, `www-authenticate`) lower-cased.
 */
export function grpcErrorOf(
  error: unknown,
  requestId: string,
): { normalized: NormalizedError; status: Partial<StatusObject> } {
  const normalized = normalizeError(error);
  const metadata = new Metadata();
  metadata.set('x-request-id', requestId);
  for (const [name, value] of Object.entries(normalized.options.headers ?? {})) metadata.set(name.toLowerCase(), value);
  if (normalized.options.retryAfterSeconds !== undefined) {
    metadata.set('retry-after', String(Math.max(0, Math.ceil(normalized.options.retryAfterSeconds))));
  }
  return {
    normalized,
    status: { code: grpcCodeOf(normalized.status), details: normalized.detail, metadata },
  };
}
