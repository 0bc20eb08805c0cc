import { HttpException, NotFoundException } from '@nestjs/common';
import { DomainError, DomainErrorOptions, ErrorCode, statusOfCode } from './domain.error';
import { CommonErrorCode } from './error-codes';
import { codeOfStatus } from './http-status';

/** Any thrown value, reduced to what a response needs. `expose` is false for unexpected errors. */
export interface NormalizedError {
  status: number;
  code: ErrorCode;
  detail: string;
  options: DomainErrorOptions;
  expose: boolean;
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
}

/** Seconds a client should wait before retrying when the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * Fastify's own errors (body parsing, limits, the router) that are the client's fault, by Fastify error
 * code, each with a fixed detail: their own messages quote the URL, the Content-Type or the body.
 */
const FASTIFY_ERRORS: Record<string, { code: ErrorCode; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: CommonErrorCode.PayloadTooLarge, detail: 'The request body exceeds the limit.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: CommonErrorCode.UnsupportedMediaType,
    detail: 'Unsupported Content-Type; send application/json.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: CommonErrorCode.BadRequest,
    detail: 'The body does not match its Content-Length.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: CommonErrorCode.InvalidJson, detail: 'The request body is empty.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: CommonErrorCode.InvalidJson, detail: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_TYPE: { code: CommonErrorCode.UnsupportedMediaType, detail: 'The Content-Type is empty.' },
  FST_ERR_CTP_INVALID_TYPE: { code: CommonErrorCode.UnsupportedMediaType, detail: 'The Content-Type is not valid.' },
  FST_ERR_BAD_URL: { code: CommonErrorCode.BadRequest, detail: 'The URL is not valid (malformed percent-encoding).' },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: CommonErrorCode.UriTooLong,
    detail: 'A path segment is longer than the 100 characters allowed.',
  },
  FST_ERR_ASYNC_CONSTRAINT: { code: CommonErrorCode.BadRequest, detail: 'The request cannot be routed.' },
};

export function normalizeError(error: unknown): NormalizedError {
  if (error instanceof DomainError) {
    return {
      status: error.status,
      code: error.code,
      detail: error.message,
      options: error.options,
      expose: true,
    };
  }
  if (isDatabaseUnavailable(error)) return databaseUnavailable();
  if (error instanceof HttpException && error.cause) {
    // Nest wraps Fastify's own errors (body parsing, limits) in an HttpException.
    const fromFastify = fastifyError(error.cause);
    if (fromFastify) return fromFastify;
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return {
      status,
      code: codeOfStatus(status),
      detail: httpExceptionDetail(error),
      options: {},
      // Thrown on purpose (a framework answer such as Terminus's 503): nothing to log as a failure.
      expose: status < 500 || status === 503,
    };
  }
  const fromFastify = fastifyError(error);
  if (fromFastify) return fromFastify;
  return {
    status: 500,
    code: CommonErrorCode.InternalError,
    detail: 'An unexpected error occurred. Quote the request id when reporting it.',
    options: {},
    expose: false,
  };
}

function fastifyError(error: unknown): NormalizedError | undefined {
  const candidate = error as FastifyLikeError | undefined;
  const known = candidate?.code ? FASTIFY_ERRORS[candidate.code] : undefined;
  if (known)
    return { status: statusOfCode(known.code)!, code: known.code, detail: known.detail, options: {}, expose: true };
  const status = candidate?.statusCode;
  if (status && status >= 400 && status < 500) {
    if (error instanceof SyntaxError) {
      // The JSON parser's message quotes the body: only the position is kept.
      const position = /position (\d+)/.exec(error.message)?.[1];
      const detail = `The request body is not valid JSON${position ? ` (at position ${position})` : ''}.`;
      return { status, code: CommonErrorCode.InvalidJson, detail, options: {}, expose: true };
    }
    return { status, code: codeOfStatus(status), detail: candidate?.message ?? '', options: {}, expose: true };
  }
  return undefined;
}

function httpExceptionDetail(error: HttpException): string {
  // Nest's 404 for an unknown route is "Cannot GET /the/path": the path is not echoed back.
  if (error instanceof NotFoundException && /^Cannot [A-Z]+ /.test(error.message)) {
    return 'No route matches this method and path.';
  }
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : error.message;
}

/** SQLSTATE classes and driver errors that mean "PostgreSQL cannot be reached now", not "this query is wrong". */
const UNAVAILABLE_SQLSTATES = /^(08|53|57P0[1-3])/;
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established|Cannot use a pool after calling end/i;

/**
 * Whether an error (a TypeORM QueryFailedError, a pg error, a socket error, as thrown or as its cause)
 * says the database is unreachable: answered 503 with Retry-After, never 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let cursor = error, depth = 0; cursor && depth < 4; depth++) {
    const candidate = cursor as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string') {
      if (UNAVAILABLE_CODES.has(candidate.code)) return true;
      if (/^[0-9A-Z]{5}$/.test(candidate.code) && UNAVAILABLE_SQLSTATES.test(candidate.code)) return true;
    }
    if (typeof candidate.message === 'string' && UNAVAILABLE_MESSAGES.test(candidate.message)) return true;
    if (cursor instanceof AggregateError && cursor.errors.some(isDatabaseUnavailable)) return true;
    cursor = candidate.driverError ?? candidate.cause;
  }
  return false;
}

function databaseUnavailable(): NormalizedError {
  return {
    status: 503,
    code: CommonErrorCode.ServiceUnavailable,
    detail: 'The database is unreachable; retry shortly.',
    options: { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
    expose: true,
  };
}
