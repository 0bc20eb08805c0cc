export enum RateLimitErrorCode {
  RateLimited = 'rate_limited',
  QuotaExceeded = 'quota_exceeded',
}
