import { HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAuthErrorCode } from '../../oauth/oauth.errors';
import { usageContext } from '../request-context';
import { titleOf } from './http-status';
import { NormalizedError, normalizeError } from './normalize-error';

const logger = new Logger('Errors');

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details as `/v1`, the admin API and everything outside `/v2` and `/oauth` answer. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  errors?: { field: string; message: string }[];
}

export function problemType(code: string): string {
  return `urn:modelgate:problem:${code}`;
}

/**
 * Which error format a path speaks: Open Inference Protocol, OAuth (RFC 6749 §5.2), Terminus health
 * JSON, or problem details.
 */
export type ErrorSurface = 'oip' | 'oauth' | 'health' | 'problem';

export function surfaceOf(url: string): ErrorSurface {
  const path = url.split('?', 1)[0];
  if (path.startsWith('/health/')) return 'health';
  if (path === '/v2' || path.startsWith('/v2/')) return 'oip';
  if (path.startsWith('/oauth/')) return 'oauth';
  return 'problem';
}

/**
 * Writes any thrown value as the error response of the request's surface. Unexpected errors are
 * logged with their stack and answered with a bare 500 that carries only the request id.
 */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const normalized = normalizeError(error);
  usageContext(request).errorCode = normalized.code;
  if (!normalized.expose) {
    logger.error({ err: error, requestId: request.id }, 'Unhandled error');
  }
  for (const [name, value] of Object.entries(normalized.options.headers ?? {})) reply.header(name, value);
  if (normalized.options.retryAfterSeconds !== undefined) {
    reply.header('Retry-After', String(Math.max(0, Math.ceil(normalized.options.retryAfterSeconds))));
  }
  reply.status(normalized.status);
  const surface = surfaceOf(request.url);
  switch (surface) {
    case 'oip':
      void reply.header('Content-Type', 'application/json; charset=utf-8').send({ error: normalized.detail });
      return;
    case 'oauth':
      void reply
        .header('Content-Type', 'application/json; charset=utf-8')
        .header('Cache-Control', 'no-store')
        .send(oauthBody(normalized));
      return;
    case 'health':
      // Terminus answers "not ready" with its own JSON body (an HttpException response): keep it.
      if (error instanceof HttpException && typeof error.getResponse() === 'object') {
        void reply.header('Content-Type', 'application/json; charset=utf-8').send(error.getResponse());
        return;
      }
      void reply.header('Content-Type', PROBLEM_CONTENT_TYPE).send(problemBody(normalized, request));
      return;
    case 'problem':
      void reply.header('Content-Type', PROBLEM_CONTENT_TYPE).send(problemBody(normalized, request));
      return;
  }
}

function problemBody(error: NormalizedError, request: FastifyRequest): ProblemDetails {
  return {
    type: problemType(error.code),
    title: titleOf(error.status),
    status: error.status,
    detail: error.detail,
    instance: request.url.split('?', 1)[0],
    code: error.code,
    requestId: String(request.id),
    ...(error.options.errors?.length ? { errors: error.options.errors } : {}),
  };
}

const OAUTH_CODES = new Set<string>(Object.values(OAuthErrorCode));

/**
 * RFC 6749 §5.2 body. OAuth services raise errors with the RFC's code; anything else (an
 * authentication or validation failure on /oauth/introspect, say) is mapped to the nearest one.
 */
function oauthBody(error: NormalizedError): { error: string; error_description?: string } {
  let rfcCode: string = error.code;
  if (!OAUTH_CODES.has(rfcCode)) {
    rfcCode =
      error.status >= 500
        ? 'server_error'
        : error.status === 401
          ? 'invalid_client'
          : error.status === 403
            ? 'insufficient_scope'
            : 'invalid_request';
  }
  return { error: rfcCode, error_description: error.detail };
}
