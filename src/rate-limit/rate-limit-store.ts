import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { Configuration } from '../config/configuration';
import { pgPool } from '../database/pg-pool';

/**
 * The shared counters behind the limits (rate-limiter-flexible): Redis when REDIS_URL is set,
 * otherwise the `rate_limits` table in PostgreSQL, through TypeORM's own connection pool.
 */
@Injectable()
export class RateLimitStore implements OnApplicationShutdown {
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  private redis?: Redis;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: ConfigService<Configuration, true>,
  ) {}

  get backend(): 'redis' | 'postgres' {
    return this.config.get('usage', { infer: true }).redisUrl ? 'redis' : 'postgres';
  }

  /** A limiter allowing `points` per `durationSeconds` window (one per distinct limit). */
  limiter(kind: string, points: number, durationSeconds: number): RateLimiterAbstract {
    const id = `${kind}:${points}:${durationSeconds}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const options = {
        points,
        duration: durationSeconds,
        keyPrefix: `mg:${kind}:${points}`,
        // While the shared store is unreachable each instance limits on its own rather than failing requests.
        insuranceLimiter: new RateLimiterMemory({ points, duration: durationSeconds }),
      };
      const redisUrl = this.config.get('usage', { infer: true }).redisUrl;
      if (redisUrl) {
        this.redis ??= new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
        limiter = new RateLimiterRedis({ ...options, storeClient: this.redis });
      } else {
        limiter = new RateLimiterPostgres({
          ...options,
          storeClient: pgPool(this.dataSource),
          tableName: 'rate_limits',
          tableCreated: true,
          clearExpiredByTimeout: false,
        });
      }
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }
}
