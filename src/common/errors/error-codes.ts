import { RateLimitErrorCode } from '../../rate-limit/rate-limit.errors';
import { ModelErrorCode } from '../../model-registry/model.errors';
import { OAuthErrorCode } from '../../oauth/oauth.errors';
/**
 * Stable, machine-readable error codes (`code` in problem details). One enum per module; the
 * exception filter maps each code to an HTTP status with an exhaustive switch.
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
  ServiceUnavailable = 'service_unavailable',
  InternalError = 'internal_error',
}

export type ErrorCode = CommonErrorCode | OAuthErrorCode | ModelErrorCode | RateLimitErrorCode;
