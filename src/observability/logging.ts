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
 * nestjs-pino options: JSON lines, secrets redacted. Its pino-http middleware is applied to no route
 * (`forRoutes: []`): access logs come from a Fastify onResponse hook (protocols/http/http-server.ts)
 * and name the request id themselves, and the middleware (a child logger and listeners per request,
 * through Nest's middie) was ~3% of a small model's request in the profile.
 */
export function loggingParams(app: AppConfig): Params {
  return {
    pinoHttp: {
      level: app.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      autoLogging: false,
    },
    forRoutes: [],
  };
}
