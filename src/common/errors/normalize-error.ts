import { HttpException } from '@nestjs/common';
import { DomainError, DomainErrorOptions } from './domain.error';
import { CommonErrorCode, ErrorCode } from './error-codes';
import { codeOfStatus, statusOf } from './http-status';

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

/** Fastify's own errors (body parsing, limits) that are the client's fault, by Fastify error code. */
const FASTIFY_ERRORS: Record<string, { code: ErrorCode; detail?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: CommonErrorCode.PayloadTooLarge, detail: 'The request body exceeds the limit.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: CommonErrorCode.UnsupportedMediaType },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: CommonErrorCode.BadRequest },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: CommonErrorCode.InvalidJson, detail: 'The request body is empty.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: CommonErrorCode.InvalidJson },
};

export function normalizeError(error: unknown): NormalizedError {
  if (error instanceof DomainError) {
    return {
      status: statusOf(error.code),
      code: error.code,
      detail: error.message,
      options: error.options,
      expose: true,
    };
  }
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
      expose: status < 500,
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
  if (known) {
    const detail =
      known.detail ??
      (known.code === CommonErrorCode.UnsupportedMediaType
        ? 'Unsupported Content-Type; send application/json.'
        : (candidate?.message ?? ''));
    return { status: statusOf(known.code), code: known.code, detail, options: {}, expose: true };
  }
  const status = candidate?.statusCode;
  if (status && status >= 400 && status < 500) {
    const code = error instanceof SyntaxError ? CommonErrorCode.InvalidJson : codeOfStatus(status);
    return { status, code, detail: candidate?.message ?? '', options: {}, expose: true };
  }
  return undefined;
}

function httpExceptionDetail(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : error.message;
}
