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

/** A principal's lease keys (see leaseKey), kept with the principal object for the calendar month. */
interface LeaseKeys {
  owner: string;
  minute: string;
  monthId?: string;
  month: string;
}

type MonthWindow = ReturnType<typeof monthWindow>;

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
  /**
   * Lease keys by principal object: authenticators hand out the same object for a credential while it is
   * cached (its limits with it), so a request does not build and hash its keys again.
   */
  private readonly keysOf = new WeakMap<Principal, LeaseKeys>();
  /** The month window of the last second asked for (it is the same for every instant of a second). */
  private monthOfSecond?: { second: number; window: MonthWindow };
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
    const window = perMonth > 0 ? this.currentMonthWindow(this.clock.now()) : undefined;
    const keys = this.leaseKeys(principal, perMinute, perMonth, window?.id);
    const minute = perMinute > 0 ? this.takeLocal('minute', keys.minute, perMinute) : undefined;
    if (minute === null) return this.checkShared(keys.owner, perMinute, perMonth);
    // A request refused by the minute limit does not count against the month.
    if (minute && minute.remaining < 0) return decide(minute);
    const month = window ? this.takeLocal('month', keys.month, perMonth, window) : undefined;
    if (month === null) return this.take('month', keys.owner, perMonth).then((state) => decide(minute, state));
    return decide(minute, month);
  }

  private leaseKeys(principal: Principal, perMinute: number, perMonth: number, monthId?: string): LeaseKeys {
    let keys = this.keysOf.get(principal);
    if (!keys || keys.monthId !== monthId) {
      const owner = `${principal.type}:${principal.id}`;
      keys = {
        owner,
        minute: leaseKey('minute', owner, perMinute),
        monthId,
        month: monthId === undefined ? '' : leaseKey('month', owner, perMonth, monthId),
      };
      this.keysOf.set(principal, keys);
    }
    return keys;
  }

  private currentMonthWindow(now: Date): MonthWindow {
    const second = Math.floor(now.getTime() / 1000);
    if (this.monthOfSecond?.second !== second) this.monthOfSecond = { second, window: monthWindow(now) };
    return this.monthOfSecond.window;
  }

  private async checkShared(owner: string, perMinute: number, perMonth: number): Promise<Decision> {
    const minute = await this.take('minute', owner, perMinute);
    if (minute.remaining < 0 || perMonth <= 0) return decide(minute);
    return decide(minute, await this.take('month', owner, perMonth));
  }

  /**
   * A point from the local lease `key` (leaseKey), or null when the shared store must be asked first.
   * `month`: the month policy's current window.
   */
  private takeLocal(name: PolicyState['name'], key: string, quota: number, month?: MonthWindow): PolicyState | null {
    const lease = this.leases.get(key);
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
      const now = this.clock.now();
      const month = name === 'month' ? this.currentMonthWindow(now) : undefined;
      const key = leaseKey(name, owner, quota, month?.id);
      const local = this.takeLocal(name, key, quota, month);
      if (local) return local;
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

function decide(first?: PolicyState, second?: PolicyState): Decision {
  const policies: PolicyState[] = [];
  if (first) policies.push(first);
  if (second) policies.push(second);
  const exceeded = policies.find((state) => state.remaining < 0);
  return exceeded ? { allowed: false, policies, exceeded: { ...exceeded, remaining: 0 } } : { allowed: true, policies };
}

/** `RateLimit-Policy` and `RateLimit` fields per draft-ietf-httpapi-ratelimit-headers-10. */
export function rateLimitHeaders(policies: PolicyState[]): Record<string, string> {
  if (policies.length === 0) return {};
  let policy = '';
  let limit = '';
  for (const state of policies) {
    const separator = policy ? ', ' : '';
    policy += `${separator}"${state.name}";q=${state.quota};w=${state.windowSeconds}`;
    limit += `${separator}"${state.name}";r=${Math.max(0, state.remaining)};t=${state.resetSeconds}`;
  }
  return { 'RateLimit-Policy': policy, RateLimit: limit };
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
