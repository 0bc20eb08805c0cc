import { HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { OAuthErrorCode } from '../../oauth/oauth.errors';
import { REQUEST_ID_HEADER, uuidV7 } from '../../observability/request-id';
import { usageContext } from '../request-context';
import { CommonErrorCode } from './error-codes';
import { statusOf, titleOf } from './http-status';
import { NormalizedError, normalizeError } from './normalize-error';

const logger = new Logger('Errors');

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

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

export interface RenderedError {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * An error as its surface answers it: status, headers (Content-Type, Retry-After, challenges) and body.
 * `instance` is the path of the request a route served; an error raised before routing has none (its
 * URL is the client's text, not echoed back) and names the request id instead.
 */
export function renderError(
  normalized: NormalizedError,
  surface: ErrorSurface,
  context: { requestId: string; instance?: string },
  original?: unknown,
): RenderedError {
  const headers: Record<string, string> = { ...normalized.options.headers };
  if (normalized.options.retryAfterSeconds !== undefined) {
    headers['Retry-After'] = String(Math.max(0, Math.ceil(normalized.options.retryAfterSeconds)));
  }
  const status = normalized.status;
  switch (surface) {
    case 'oip':
      return { status, headers: { ...headers, 'Content-Type': JSON_CONTENT_TYPE }, body: { error: normalized.detail } };
    case 'oauth':
      return {
        status,
        headers: { ...headers, 'Content-Type': JSON_CONTENT_TYPE, 'Cache-Control': 'no-store' },
        body: oauthBody(normalized),
      };
    case 'health':
      // Terminus answers "not ready" with its own JSON body (an HttpException response): keep it.
      if (original instanceof HttpException && typeof original.getResponse() === 'object') {
        return { status, headers: { ...headers, 'Content-Type': JSON_CONTENT_TYPE }, body: original.getResponse() };
      }
      return {
        status,
        headers: { ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE },
        body: problemBody(normalized, context),
      };
    case 'problem':
      return {
        status,
        headers: { ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE },
        body: problemBody(normalized, context),
      };
  }
}

/**
 * Writes any thrown value as the error response of the request's surface, with its `X-Request-Id`.
 * Unexpected errors are logged with their stack and answered with a bare 500 that carries only the
 * request id.
 */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const normalized = normalizeError(error);
  usageContext(request).errorCode = normalized.code;
  if (!normalized.expose) {
    logger.error({ err: error, requestId: request.id }, 'Unhandled error');
  }
  const requestId = String(request.id);
  const routed = Boolean(request.routeOptions?.url);
  const rendered = renderError(
    normalized,
    surfaceOf(request.url),
    { requestId, instance: routed ? request.url.split('?', 1)[0] : undefined },
    error,
  );
  void reply.header(REQUEST_ID_HEADER, requestId).headers(rendered.headers).status(rendered.status).send(rendered.body);
}

/**
 * Fastify's `clientErrorHandler`: the HTTP parser refused the request (a malformed request line or
 * header, headers too large, a timeout) before there is a request object. Answered in the surface's
 * format, as far as the request line can be read, with a fresh request id; then the connection closes.
 */
export function writeClientError(error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? CommonErrorCode.HeaderFieldsTooLarge
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? CommonErrorCode.RequestTimeout
        : error.code === 'HPE_URI_TOO_LONG'
          ? CommonErrorCode.UriTooLong
          : CommonErrorCode.BadRequest;
  const details: Record<string, string> = {
    [CommonErrorCode.HeaderFieldsTooLarge]: 'The request headers are too large.',
    [CommonErrorCode.RequestTimeout]: 'The request was not received in time.',
    [CommonErrorCode.UriTooLong]: 'The request URL is too long.',
  };
  const normalized: NormalizedError = {
    status: statusOf(code),
    code,
    detail: details[code] ?? 'The request is malformed (request line or header fields).',
    options: {},
    expose: true,
  };
  const raw = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1', 0, 256) : '';
  const requestLine = /^[A-Z]+ (\S+)/.exec(raw);
  const requestId = uuidV7();
  const rendered = renderError(normalized, surfaceOf(requestLine?.[1] ?? '/'), { requestId });
  const body = JSON.stringify(rendered.body);
  const headers = { ...rendered.headers, 'X-Request-Id': requestId, Connection: 'close' };
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${rendered.status} ${STATUS_CODES[rendered.status] ?? 'Error'}\r\n` +
        Object.entries(headers)
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('') +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function problemBody(error: NormalizedError, context: { requestId: string; instance?: string }): ProblemDetails {
  return {
    type: problemType(error.code),
    title: titleOf(error.status),
    status: error.status,
    detail: error.detail,
    instance: context.instance ?? `urn:modelgate:request:${context.requestId}`,
    code: error.code,
    requestId: context.requestId,
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
      error.status === 503
        ? 'temporarily_unavailable'
        : error.status >= 500
          ? 'server_error'
          : error.status === 401
            ? 'invalid_client'
            : error.status === 403
              ? 'insufficient_scope'
              : 'invalid_request';
  }
  return { error: rfcCode, error_description: error.detail };
}
