import { CommonErrorCode } from './error-codes';

/** The generic code for a bare HTTP status (errors raised by the framework rather than a service). */
export function codeOfStatus(status: number): CommonErrorCode {
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
    case 408:
      return CommonErrorCode.RequestTimeout;
    case 409:
      return CommonErrorCode.Conflict;
    case 413:
      return CommonErrorCode.PayloadTooLarge;
    case 414:
      return CommonErrorCode.UriTooLong;
    case 415:
      return CommonErrorCode.UnsupportedMediaType;
    case 429:
      return CommonErrorCode.TooManyRequests;
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
