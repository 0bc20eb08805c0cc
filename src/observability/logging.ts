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

/**
 * nestjs-pino options: JSON lines, secrets redacted. Its HTTP middleware does not run under Fastify
 * with URI versioning, so access logs come from a Fastify onResponse hook (app.factory.ts) instead.
 */
export function loggingParams(app: AppConfig): Params {
  return {
    pinoHttp: {
      level: app.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      autoLogging: false,
    },
  };
}
