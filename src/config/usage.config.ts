import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { toBoolean, toInteger } from './env';

export class UsageEnv {
  /**
   * How often buffered usage events are written. Short: a batch of 1 s of traffic kept PostgreSQL busy on
   * a core for ~100 ms at a time, and the requests served beside it waited (p99 at half load, `npm run bench`).
   */
  @Transform(toInteger)
  @IsInt()
  @Min(50)
  USAGE_FLUSH_INTERVAL_MS = 200;

  /** Events per multi-row INSERT. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(10_000)
  USAGE_BATCH_SIZE = 1000;

  /** Events kept in memory while PostgreSQL is unreachable; beyond it they go to the spool file. */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  USAGE_BUFFER_MAX_EVENTS = 50_000;

  /** Where events wait (JSON lines) when memory is full or at shutdown without a database. */
  @IsString()
  USAGE_SPOOL_DIR = './data/usage-spool';

  /**
   * Append every metered request's event to a local journal before its response is sent, so that a
   * process killed outright loses none (replayed at the next start). Off: events wait in memory only.
   */
  @Transform(toBoolean)
  @IsBoolean()
  USAGE_JOURNAL = true;

  /** Where the journal's segments live (local disk; about one flush interval of traffic). */
  @IsString()
  USAGE_JOURNAL_DIR = './data/usage-journal';

  /** Raw events older than this are dropped (whole monthly partitions); rollups are kept. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  USAGE_RETENTION_DAYS = 400;

  /** A request id the client sent (`X-Request-Id`) seen again within this window is not counted again. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  USAGE_DEDUPE_WINDOW_HOURS = 48;

  /** Requests per minute for credentials without their own limit; 0 means unlimited. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  RATE_LIMIT_DEFAULT_RPM = 6000;

  /** Requests per calendar month (UTC) for credentials without their own quota; 0 means unlimited. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  QUOTA_DEFAULT_PER_MONTH = 0;

  /** Redis for the shared rate-limit counters (PostgreSQL when unset). */
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;
}

export interface UsageConfig {
  flushIntervalMs: number;
  batchSize: number;
  bufferMaxEvents: number;
  spoolDir: string;
  /** Undefined: no journal. */
  journalDir?: string;
  retentionDays: number;
  dedupeWindowHours: number;
  defaultRequestsPerMinute: number;
  defaultRequestsPerMonth: number;
  redisUrl?: string;
}

export function toUsageConfig(env: UsageEnv): UsageConfig {
  return {
    flushIntervalMs: env.USAGE_FLUSH_INTERVAL_MS,
    batchSize: env.USAGE_BATCH_SIZE,
    bufferMaxEvents: env.USAGE_BUFFER_MAX_EVENTS,
    spoolDir: env.USAGE_SPOOL_DIR,
    journalDir: env.USAGE_JOURNAL ? env.USAGE_JOURNAL_DIR : undefined,
    retentionDays: env.USAGE_RETENTION_DAYS,
    dedupeWindowHours: env.USAGE_DEDUPE_WINDOW_HOURS,
    defaultRequestsPerMinute: env.RATE_LIMIT_DEFAULT_RPM,
    defaultRequestsPerMonth: env.QUOTA_DEFAULT_PER_MONTH,
    redisUrl: env.REDIS_URL,
  };
}
