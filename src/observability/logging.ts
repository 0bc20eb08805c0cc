import type { IncomingMessage, ServerResponse } from 'node:http';
import { Params } from 'nestjs-pino';
import { AppConfig } from '../config/app.config';

/** Header and field names whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.clientSecret',
  '*.client_secret',
  '*.key',
  '*.access_token',
  '*.token',
];

/** nestjs-pino options: JSON lines with the request id, no bodies, secrets redacted. */
export function loggingParams(app: AppConfig): Params {
  return {
    pinoHttp: {
      level: app.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // The id Fastify assigned (see app.factory.ts), so that log lines and X-Request-Id agree.
      genReqId: (request: IncomingMessage) => (request as IncomingMessage & { id?: string }).id ?? '',
      customAttributeKeys: { reqId: 'requestId' },
      serializers: {
        req: (request: { id: string; method: string; url: string; remoteAddress?: string }) => ({
          id: request.id,
          method: request.method,
          url: request.url?.split('?', 1)[0],
          remoteAddress: request.remoteAddress,
        }),
        res: (response: ServerResponse) => ({ statusCode: response.statusCode }),
      },
      // Access logs come from a Fastify onResponse hook (app.factory.ts), one line per request.
      autoLogging: false,
      quietReqLogger: true,
    },
    // Keep the request-scoped logger out of the hot path for routes that log nothing.
    assignResponse: false,
  };
}
