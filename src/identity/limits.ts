/** The limit columns credentials share. */
export interface LimitColumns {
  rateLimitRpm: number | null;
  quotaPerMonth: number | null;
}

export interface Limits {
  rateLimit: { requestsPerMinute: number } | null;
  quota: { requestsPerMonth: number } | null;
}

/** A credential's limit columns as the API (and the principal) show them; null means the platform default. */
export function limitsOf(record: LimitColumns): Limits {
  return {
    rateLimit: record.rateLimitRpm === null ? null : { requestsPerMinute: record.rateLimitRpm },
    quota: record.quotaPerMonth === null ? null : { requestsPerMonth: record.quotaPerMonth },
  };
}
