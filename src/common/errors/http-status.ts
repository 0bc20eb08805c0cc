import { ModelErrorCode } from '../../model-registry/model.errors';
import { OAuthErrorCode } from '../../oauth/oauth.errors';
import { RateLimitErrorCode } from '../../rate-limit/rate-limit.errors';
import { CommonErrorCode, ErrorCode } from './error-codes';

/** The HTTP status of each error code. Exhaustive: a new code does not compile until it is mapped. */
export function statusOf(code: ErrorCode): number {
  switch (code) {
    case CommonErrorCode.BadRequest:
    case CommonErrorCode.ValidationFailed:
    case CommonErrorCode.InvalidJson:
    case CommonErrorCode.InvalidCharacters:
      return 400;
    case CommonErrorCode.Unauthorized:
      return 401;
    case CommonErrorCode.Forbidden:
    case CommonErrorCode.InsufficientScope:
      return 403;
    case CommonErrorCode.NotFound:
      return 404;
    case CommonErrorCode.MethodNotAllowed:
      return 405;
    case CommonErrorCode.Conflict:
      return 409;
    case CommonErrorCode.RequestTimeout:
      return 408;
    case CommonErrorCode.PayloadTooLarge:
      return 413;
    case CommonErrorCode.UriTooLong:
      return 414;
    case CommonErrorCode.HeaderFieldsTooLarge:
      return 431;
    case CommonErrorCode.UnsupportedMediaType:
      return 415;
    case CommonErrorCode.ServiceUnavailable:
      return 503;
    case CommonErrorCode.InternalError:
      return 500;
    case OAuthErrorCode.InvalidRequest:
    case OAuthErrorCode.InvalidGrant:
    case OAuthErrorCode.UnauthorizedClient:
    case OAuthErrorCode.UnsupportedGrantType:
    case OAuthErrorCode.InvalidScope:
    case OAuthErrorCode.UnsupportedTokenType:
      return 400;
    case OAuthErrorCode.InvalidClient:
      return 401;
    case OAuthErrorCode.TemporarilyUnavailable:
      return 429;
    case ModelErrorCode.ModelNotFound:
    case ModelErrorCode.VersionNotFound:
      return 404;
    case ModelErrorCode.InvalidInput:
    case ModelErrorCode.InvalidInputShape:
    case ModelErrorCode.InvalidDatatype:
    case ModelErrorCode.UnknownInput:
    case ModelErrorCode.MissingInput:
    case ModelErrorCode.UnknownOutput:
    case ModelErrorCode.TensorTooLarge:
    case ModelErrorCode.InvalidModelName:
    case ModelErrorCode.InvalidModel:
      return 400;
    case ModelErrorCode.VersionExists:
      return 409;
    case ModelErrorCode.ModelNotReady:
    case ModelErrorCode.QueueFull:
      return 503;
    case ModelErrorCode.InferenceTimeout:
      return 504;
    case RateLimitErrorCode.RateLimited:
    case RateLimitErrorCode.QuotaExceeded:
      return 429;
  }
}

/** The generic code for a bare HTTP status (errors raised by the framework rather than a service). */
export function codeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return CommonErrorCode.BadRequest;
    case 401:
      return CommonErrorCode.Unauthorized;
    case 403:
      return CommonErrorCode.Forbidden;
    case 404:
      return CommonErrorCode.NotFound;
    case 405:
      return CommonErrorCode.MethodNotAllowed;
    case 409:
      return CommonErrorCode.Conflict;
    case 408:
      return CommonErrorCode.RequestTimeout;
    case 413:
      return CommonErrorCode.PayloadTooLarge;
    case 414:
      return CommonErrorCode.UriTooLong;
    case 415:
      return CommonErrorCode.UnsupportedMediaType;
    case 429:
      return RateLimitErrorCode.RateLimited;
    case 431:
      return CommonErrorCode.HeaderFieldsTooLarge;
    case 503:
      return CommonErrorCode.ServiceUnavailable;
    default:
      return status >= 500 ? CommonErrorCode.InternalError : CommonErrorCode.BadRequest;
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function titleOf(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}
