import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimitStore } from './rate-limit-store';
import { RateLimiterService } from './rate-limiter.service';

/** Import after AuthModule: global guards run in registration order, and limits need the principal. */
@Module({
  providers: [RateLimitStore, RateLimiterService, { provide: APP_GUARD, useClass: RateLimitGuard }],
  exports: [RateLimiterService],
})
export class RateLimitModule {}
