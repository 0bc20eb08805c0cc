import type { LoggerService } from '@nestjs/common';
import pino, { type Level, type Logger } from 'pino';
import type { AppConfig } from '../config/app.config';

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

/** Until configureLogging runs (start-up, before the application is built): info to stdout. */
let root: Logger = pino({ level: 'info' });

/**
 * The process's logger: pino, JSON lines on stdout (`level`, `time`, `pid`, `hostname`, `msg`, the
 * fields), LOG_LEVEL, secrets redacted. Access logs (protocols/http/http-server.ts, grpc-server.ts)
 * write to it directly; NestJS's own and every `new Logger(context)` go through {@link NestLogger}.
 */
export function configureLogging(app: Pick<AppConfig, 'logLevel'>): Logger {
  root = pino({ level: app.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
  return root;
}

export function rootLogger(): Logger {
  return root;
}

/** A stack trace as NestJS passes one (`error(message, stack, context)`). */
const STACK = /\n\s+at /;

/**
 * NestJS's logger interface over the root pino logger. NestJS calls `level(message, ...params, context)`
 * (the context of `new Logger(context)` last); the message may also be an object of fields, or an
 * Error (logged as `err`), the fields then followed by the message: `logger.warn({ err }, 'text')`.
 */
export class NestLogger implements LoggerService {
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!root.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    let rest = params;
    if (params.length > 0) {
      fields.context = params[params.length - 1];
      rest = params.slice(0, -1);
    }
    if (message instanceof Error) {
      fields.err = message;
      root[level](fields, ...(rest as [string?]));
    } else if (typeof message === 'object' && message !== null) {
      root[level]({ ...fields, ...message }, ...(rest as [string?]));
    } else if (level === 'error' && rest.length === 1 && typeof rest[0] === 'string' && STACK.test(rest[0])) {
      const err = new Error(String(message));
      err.stack = rest[0];
      root.error({ ...fields, err }, String(message));
    } else {
      root[level](fields, String(message), ...rest);
    }
  }
}
