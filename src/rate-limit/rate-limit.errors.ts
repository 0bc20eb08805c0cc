import { registerErrorStatuses } from '../common/errors/domain.error';

export enum RateLimitErrorCode {
  RateLimited = 'rate_limited',
  QuotaExceeded = 'quota_exceeded',
}

registerErrorStatuses({
  [RateLimitErrorCode.RateLimited]: 429,
  [RateLimitErrorCode.QuotaExceeded]: 429,
} satisfies Record<RateLimitErrorCode, number>);
