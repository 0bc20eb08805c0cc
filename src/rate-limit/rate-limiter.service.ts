import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain.error';
import { ConfigService } from '@nestjs/config';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { Principal } from '../identity/principal';
import { Configuration } from '../config/configuration';
import { Clock } from './clock';
import { RateLimitErrorCode } from './rate-limit.errors';
import { RateLimitStore } from './rate-limit-store';

export interface PolicyState {
  name: 'minute' | 'month';
  quota: number;
  windowSeconds: number;
  remaining: number;
  resetSeconds: number;
}

export interface Decision {
  allowed: boolean;
  policies: PolicyState[];
  /** The policy that refused the request. */
  exceeded?: PolicyState;
}

interface Lease {
  /** Points leased from the shared store and not yet used by this instance. */
  local: number;
  /** What the shared store had left after the last lease. */
  shared: number;
  resetAt: number;
  /** Set when the shared store refused: nothing more until resetAt. */
  blocked: boolean;
  pending?: Promise<void>;
}

/**
 * Per-principal limits: requests per minute and per calendar month (UTC), counted in a store shared by
 * every instance. The fast path is local: an instance leases a few points at a time from the store
 * (one round trip per lease, not per request), so a limit is never exceeded; what an instance leased
 * but did not use before the window ends is lost, so the worst case undershoots a limit by one lease
 * per instance. Small limits lease one point at a time and are exact.
 */
@Injectable()
export class RateLimiterService {
  private readonly leases = new Map<string, Lease>();
  private readonly defaults: { defaultRequestsPerMinute: number; defaultRequestsPerMonth: number };

  constructor(
    private readonly store: RateLimitStore,
    private readonly clock: Clock,
    config: ConfigService<Configuration, true>,
  ) {
    this.defaults = config.get('usage', { infer: true });
  }

  limitsOf(principal: Principal): { perMinute: number; perMonth: number } {
    return {
      perMinute: principal.rateLimit?.requestsPerMinute ?? this.defaults.defaultRequestsPerMinute,
      perMonth: principal.quota?.requestsPerMonth ?? this.defaults.defaultRequestsPerMonth,
    };
  }

  /**
   * Takes one point from each of the principal's policies. Synchronous while this instance holds
   * leased points (the usual case): only a new lease waits for the shared store.
   */
  check(principal: Principal): Decision | Promise<Decision> {
    const { perMinute, perMonth } = this.limitsOf(principal);
    const owner = `${principal.type}:${principal.id}`;
    const minute = perMinute > 0 ? this.takeLocal('minute', owner, perMinute) : undefined;
    if (minute === null) return this.checkShared(owner, perMinute, perMonth);
    // A request refused by the minute limit does not count against the month.
    if (minute && minute.remaining < 0) return decide(minute);
    const month = perMonth > 0 ? this.takeLocal('month', owner, perMonth) : undefined;
    if (month === null) return this.take('month', owner, perMonth).then((state) => decide(minute, state));
    return decide(minute, month);
  }

  private async checkShared(owner: string, perMinute: number, perMonth: number): Promise<Decision> {
    const minute = await this.take('minute', owner, perMinute);
    if (minute.remaining < 0 || perMonth <= 0) return decide(minute);
    return decide(minute, await this.take('month', owner, perMonth));
  }

  /** A point from the local lease, or null when the shared store must be asked first. */
  private takeLocal(name: PolicyState['name'], owner: string, quota: number): PolicyState | null {
    const month = name === 'month' ? monthWindow(this.clock.now()) : undefined;
    const lease = this.leases.get(leaseKey(name, owner, quota, month?.id));
    const now = Date.now();
    if (!lease || lease.pending || now >= lease.resetAt) return null;
    const resetSeconds = Math.max(1, Math.ceil((lease.resetAt - now) / 1000));
    const windowSeconds = month?.windowSeconds ?? 60;
    if (lease.local > 0) {
      lease.local--;
      return { name, quota, windowSeconds, remaining: lease.shared + lease.local, resetSeconds };
    }
    if (lease.blocked) return { name, quota, windowSeconds, remaining: -1, resetSeconds };
    return null;
  }

  /** Takes one point, leasing more from the shared store when needed; `remaining` < 0 when exhausted. */
  private async take(name: PolicyState['name'], owner: string, quota: number): Promise<PolicyState> {
    for (;;) {
      const local = this.takeLocal(name, owner, quota);
      if (local) return local;
      const now = this.clock.now();
      const key = leaseKey(name, owner, quota, name === 'month' ? monthWindow(now).id : undefined);
      let lease = this.leases.get(key);
      if (lease?.pending) {
        await lease.pending;
        continue;
      }
      lease ??= { local: 0, shared: quota, resetAt: 0, blocked: false };
      this.leases.set(key, lease);
      const leasing = lease;
      leasing.pending = this.lease(leasing, name, owner, quota, now).finally(() => (leasing.pending = undefined));
      await leasing.pending;
    }
  }

  private async lease(lease: Lease, name: PolicyState['name'], owner: string, quota: number, now: Date): Promise<void> {
    const chunk = Math.max(1, Math.min(MAX_LEASE, Math.floor(quota / 50)));
    let storeKey = owner;
    let windowSeconds = 60;
    let fixedResetMs: number | undefined;
    let options = {};
    if (name === 'month') {
      const month = monthWindow(now);
      storeKey = `${owner}:${month.id}`;
      windowSeconds = MONTH_LIMITER_SECONDS;
      fixedResetMs = month.resetMs;
      // The counter outlives its month by a day, so a late lease cannot restart it.
      options = { customDuration: month.windowSeconds + 86_400 };
    }
    const limiter = this.store.limiter(name, quota, windowSeconds);
    try {
      const result = await limiter.consume(storeKey, chunk, options);
      lease.local = chunk;
      lease.shared = result.remainingPoints;
      lease.blocked = false;
      lease.resetAt = Date.now() + (fixedResetMs ?? result.msBeforeNext);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      lease.local = 0;
      lease.shared = 0;
      lease.blocked = true;
      lease.resetAt = Date.now() + (fixedResetMs ?? error.msBeforeNext);
    }
  }
}

/** Points leased at most per round trip to the shared store (and lost at most per instance per window). */
const MAX_LEASE = 1000;
/** The month limiter's nominal window; each month's counter is its own key, expiring with the month. */
const MONTH_LIMITER_SECONDS = 32 * 86_400;

function monthWindow(now: Date): { id: string; windowSeconds: number; resetMs: number } {
  const monthEnd = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  const resetMs = monthEnd - now.getTime();
  return {
    id: `${now.getUTCFullYear()}-${now.getUTCMonth() + 1}`,
    windowSeconds: Math.ceil(resetMs / 1000),
    resetMs,
  };
}

/** A lease per policy, limit and owner, and for the month policy per calendar month. */
function leaseKey(name: PolicyState['name'], owner: string, quota: number, monthId?: string): string {
  return monthId === undefined ? `${name}:${quota}:${owner}` : `${name}:${quota}:${owner}:${monthId}`;
}

function decide(...states: (PolicyState | undefined)[]): Decision {
  const policies = states.filter((state): state is PolicyState => state !== undefined);
  const exceeded = policies.find((state) => state.remaining < 0);
  return exceeded ? { allowed: false, policies, exceeded: { ...exceeded, remaining: 0 } } : { allowed: true, policies };
}

/** `RateLimit-Policy` and `RateLimit` fields per draft-ietf-httpapi-ratelimit-headers-10. */
export function rateLimitHeaders(policies: PolicyState[]): Record<string, string> {
  if (policies.length === 0) return {};
  return {
    'RateLimit-Policy': policies
      .map((policy) => `"${policy.name}";q=${policy.quota};w=${policy.windowSeconds}`)
      .join(', '),
    RateLimit: policies
      .map((policy) => `"${policy.name}";r=${Math.max(0, policy.remaining)};t=${policy.resetSeconds}`)
      .join(', '),
  };
}

/**
 * The limit fields to send with an admitted call; throws the 429 (`rate_limited` or `quota_exceeded`,
 * with Retry-After and the same fields) for a refused one. Every protocol sends them its own way (HTTP
 * headers, gRPC metadata).
 */
export function admitted(decision: Decision): Record<string, string> {
  const headers = rateLimitHeaders(decision.policies);
  if (decision.allowed) return headers;
  const exceeded = decision.exceeded!;
  const code = exceeded.name === 'month' ? RateLimitErrorCode.QuotaExceeded : RateLimitErrorCode.RateLimited;
  const message =
    exceeded.name === 'month'
      ? `The monthly quota of ${exceeded.quota} requests is used up; it resets at the start of next month (UTC).`
      : `The rate limit of ${exceeded.quota} requests per minute is exceeded.`;
  throw new DomainError(code, message, { retryAfterSeconds: exceeded.resetSeconds, headers });
}
