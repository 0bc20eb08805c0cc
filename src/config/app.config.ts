import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Max, Min } from 'class-validator';
import { toInteger } from './env';

export class AppEnv {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsString()
  HOST = '0.0.0.0';

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /** Base URL clients use to reach this server; the OAuth issuer and OpenAPI server URL derive from it. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  PUBLIC_URL?: string;

  @Transform(toInteger)
  @IsInt()
  @Min(1024)
  BODY_LIMIT_BYTES = 1_048_576;

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  SHUTDOWN_TIMEOUT_MS = 15_000;

  /**
   * On SIGTERM, how long the instance keeps serving while `/health/ready` says 503 (and gRPC health
   * NOT_SERVING), every response with `Connection: close`, before it stops accepting: long enough for a
   * load balancer's health checks to take it out of rotation. 0: stop accepting at once. Only SIGTERM
   * drains (SIGINT, a developer's Ctrl-C, stops at once).
   */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  SHUTDOWN_DRAIN_MS = 5_000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';

  /** Comma-separated origins allowed by CORS, or `*`. */
  @IsString()
  CORS_ORIGINS = '*';

  /** Server processes sharing the port (a cluster); default: one per CPU core with DATABASE_URL, else 1. */
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(64)
  WORKERS?: number;

  /** When set, `/metrics` requires `Authorization: Bearer <METRICS_TOKEN>`. */
  @IsOptional()
  @IsString()
  METRICS_TOKEN?: string;
}

export interface AppConfig {
  env: AppEnv['NODE_ENV'];
  host: string;
  port: number;
  publicUrl: string;
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  shutdownDrainMs: number;
  logLevel: AppEnv['LOG_LEVEL'];
  corsOrigins: string[] | '*';
  metricsToken?: string;
  /** Unset: decided at start-up (one per core with DATABASE_URL, else 1). */
  workers?: number;
}

export function toAppConfig(env: AppEnv): AppConfig {
  const origins = env.CORS_ORIGINS.trim();
  return {
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    shutdownDrainMs: env.SHUTDOWN_DRAIN_MS,
    logLevel: env.LOG_LEVEL,
    corsOrigins:
      origins === '*'
        ? '*'
        : origins
            .split(',')
            .map((origin) => origin.trim())
            .filter(Boolean),
    metricsToken: env.METRICS_TOKEN,
    workers: env.WORKERS,
  };
}
