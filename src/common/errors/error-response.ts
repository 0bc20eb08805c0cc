import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { REQUEST_ID_HEADER, uuidV7 } from '../request-id';
import { usageContext } from '../request-context';
import { DomainError } from './domain.error';
import { CommonErrorCode } from './error-codes';
import { ErrorContext, errorFormatOf, RenderedError } from './error-format';
import { NormalizedError, normalizeError } from './normalize-error';
import './problem-details'; // the default format

const logger = new Logger('Errors');

/**
 * An error as the format of the surface at `path` answers it, with Retry-After and the error's own
 * headers (challenges, rate-limit fields).
 */
export function renderError(
  normalized: NormalizedError,
  path: string,
  context: ErrorContext,
  original?: unknown,
): RenderedError {
  const rendered = errorFormatOf(path).render(normalized, context, original);
  const headers: Record<string, string> = { ...normalized.options.headers, ...rendered.headers };
  if (normalized.options.retryAfterSeconds !== undefined) {
    headers['Retry-After'] = String(Math.max(0, Math.ceil(normalized.options.retryAfterSeconds)));
  }
  return { ...rendered, headers };
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
  const rendered = renderError(
    normalized,
    request.url,
    { requestId, instance: request.routeUrl ? request.url.split('?', 1)[0] : undefined },
    error,
  );
  void reply.header(REQUEST_ID_HEADER, requestId).headers(rendered.headers).status(rendered.status).send(rendered.body);
}

const CLIENT_ERRORS: Record<string, { code: CommonErrorCode; detail: string }> = {
  HPE_HEADER_OVERFLOW: { code: CommonErrorCode.HeaderFieldsTooLarge, detail: 'The request headers are too large.' },
  ERR_HTTP_REQUEST_TIMEOUT: { code: CommonErrorCode.RequestTimeout, detail: 'The request was not received in time.' },
  HPE_URI_TOO_LONG: { code: CommonErrorCode.UriTooLong, detail: 'The request URL is too long.' },
};

/**
 * Fastify's `clientErrorHandler`: the HTTP parser refused the request (a malformed request line or
 * header, headers too large, a timeout) before there is a request object. Answered in the surface's
 * format, as far as the request line can be read, with a fresh request id; then the connection closes.
 */
export function writeClientError(error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = CLIENT_ERRORS[error.code ?? ''] ?? {
    code: CommonErrorCode.BadRequest,
    detail: 'The request is malformed (request line or header fields).',
  };
  const raw = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1', 0, 256) : '';
  const requestLine = /^[A-Z]+ (\S+)/.exec(raw);
  const requestId = uuidV7();
  const rendered = renderError(normalizeError(new DomainError(known.code, known.detail)), requestLine?.[1] ?? '/', {
    requestId,
  });
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
