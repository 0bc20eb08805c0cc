import { registerErrorStatuses } from './domain.error';

/**
 * The platform's generic error codes (`code` in problem details). Every module declares its own enum
 * beside its code (ModelErrorCode, OAuthErrorCode, RateLimitErrorCode, ...) and registers their statuses
 * the same way.
 */
export enum CommonErrorCode {
  BadRequest = 'bad_request',
  ValidationFailed = 'validation_failed',
  InvalidJson = 'invalid_json',
  /** A NUL byte or an unpaired surrogate in a path, query, header, form field or JSON string. */
  InvalidCharacters = 'invalid_characters',
  UnsupportedMediaType = 'unsupported_media_type',
  PayloadTooLarge = 'payload_too_large',
  UriTooLong = 'uri_too_long',
  HeaderFieldsTooLarge = 'header_fields_too_large',
  RequestTimeout = 'request_timeout',
  NotFound = 'not_found',
  MethodNotAllowed = 'method_not_allowed',
  Conflict = 'conflict',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  InsufficientScope = 'insufficient_scope',
  UpgradeRequired = 'upgrade_required',
  TooManyRequests = 'too_many_requests',
  ServiceUnavailable = 'service_unavailable',
  InternalError = 'internal_error',
}

registerErrorStatuses({
  [CommonErrorCode.BadRequest]: 400,
  [CommonErrorCode.ValidationFailed]: 400,
  [CommonErrorCode.InvalidJson]: 400,
  [CommonErrorCode.InvalidCharacters]: 400,
  [CommonErrorCode.Unauthorized]: 401,
  [CommonErrorCode.Forbidden]: 403,
  [CommonErrorCode.InsufficientScope]: 403,
  [CommonErrorCode.NotFound]: 404,
  [CommonErrorCode.MethodNotAllowed]: 405,
  [CommonErrorCode.RequestTimeout]: 408,
  [CommonErrorCode.Conflict]: 409,
  [CommonErrorCode.PayloadTooLarge]: 413,
  [CommonErrorCode.UriTooLong]: 414,
  [CommonErrorCode.UnsupportedMediaType]: 415,
  [CommonErrorCode.UpgradeRequired]: 426,
  [CommonErrorCode.TooManyRequests]: 429,
  [CommonErrorCode.HeaderFieldsTooLarge]: 431,
  [CommonErrorCode.InternalError]: 500,
  [CommonErrorCode.ServiceUnavailable]: 503,
} satisfies Record<CommonErrorCode, number>);
