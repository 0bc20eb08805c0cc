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
  UnsupportedMediaType = 'unsupported_media_type',
  PayloadTooLarge = 'payload_too_large',
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
