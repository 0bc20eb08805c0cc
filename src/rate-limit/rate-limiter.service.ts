import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { Principal } from '../auth/principal';
import { Configuration } from '../config/configuration';
import { Clock } from './clock';
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

  constructor(
    private readonly store: RateLimitStore,
    private readonly clock: Clock,
    private readonly config: ConfigService<Configuration, true>,
  ) {}

  limitsOf(principal: Principal): { perMinute: number; perMonth: number } {
    const defaults = this.config.get('usage', { infer: true });
    return {
      perMinute: principal.rateLimit?.requestsPerMinute ?? defaults.defaultRequestsPerMinute,
      perMonth: principal.quota?.requestsPerMonth ?? defaults.defaultRequestsPerMonth,
    };
  }

  async check(principal: Principal): Promise<Decision> {
    const { perMinute, perMonth } = this.limitsOf(principal);
    const policies: PolicyState[] = [];
    if (perMinute > 0) {
      const state = await this.take('minute', `${principal.type}:${principal.id}`, perMinute, 60);
      policies.push(state);
      if (state.remaining < 0) return { allowed: false, policies, exceeded: { ...state, remaining: 0 } };
    }
    if (perMonth > 0) {
      const now = this.clock.now();
      const month = `${now.getUTCFullYear()}-${now.getUTCMonth() + 1}`;
      const monthEnd = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
      const windowSeconds = Math.ceil((monthEnd - now.getTime()) / 1000);
      const state = await this.take(
        'month',
        `${principal.type}:${principal.id}:${month}`,
        perMonth,
        windowSeconds,
        monthEnd - now.getTime(),
      );
      policies.push(state);
      if (state.remaining < 0) return { allowed: false, policies, exceeded: { ...state, remaining: 0 } };
    }
    return { allowed: true, policies };
  }

  /** Takes one point; `remaining` is negative when the limit is exhausted. */
  private async take(
    name: PolicyState['name'],
    key: string,
    quota: number,
    windowSeconds: number,
    fixedResetMs?: number,
  ): Promise<PolicyState> {
    const leaseKey = `${name}:${quota}:${key}`;
    for (;;) {
      const now = Date.now();
      let lease = this.leases.get(leaseKey);
      if (lease?.pending) {
        await lease.pending;
        continue;
      }
      if (lease && now < lease.resetAt) {
        const resetSeconds = Math.max(1, Math.ceil((lease.resetAt - now) / 1000));
        const policyWindow = name === 'month' ? windowSeconds : 60;
        if (lease.local > 0) {
          lease.local--;
          return { name, quota, windowSeconds: policyWindow, remaining: lease.shared + lease.local, resetSeconds };
        }
        if (lease.blocked) return { name, quota, windowSeconds: policyWindow, remaining: -1, resetSeconds };
      }
      lease ??= { local: 0, shared: quota, resetAt: 0, blocked: false };
      this.leases.set(leaseKey, lease);
      lease.pending = this.lease(lease, name, key, quota, windowSeconds, fixedResetMs).finally(
        () => (lease.pending = undefined),
      );
      await lease.pending;
    }
  }

  private async lease(
    lease: Lease,
    name: string,
    key: string,
    quota: number,
    windowSeconds: number,
    fixedResetMs?: number,
  ): Promise<void> {
    const chunk = Math.max(1, Math.min(100, Math.floor(quota / 50)));
    const limiter = this.store.limiter(name, quota, windowSeconds);
    const options = name === 'month' ? { customDuration: windowSeconds + 86_400 } : {};
    try {
      const result = await limiter.consume(key, chunk, options);
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
