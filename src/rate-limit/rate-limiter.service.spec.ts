import 'reflect-metadata';
import { ConfigService } from '@nestjs/config';
import { RateLimiterAbstract, RateLimiterMemory } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import { Principal } from '../identity/principal';
import { Configuration } from '../config/configuration';
import { Clock } from './clock';
import { RateLimitStore } from './rate-limit-store';
import { RateLimiterService } from './rate-limiter.service';

/** The leasing logic over in-memory counters (the shared stores are covered end to end). */
function limiterWith(clock: Clock) {
  const limiters = new Map<string, RateLimiterAbstract>();
  const consumed: number[] = [];
  const store = {
    limiter(kind: string, points: number, duration: number) {
      const id = `${kind}:${points}:${duration}`;
      if (!limiters.has(id)) {
        const memory = new RateLimiterMemory({ points, duration });
        const consume = memory.consume.bind(memory);
        memory.consume = (key, chunk = 1, options) => {
          consumed.push(Number(chunk));
          return consume(key, chunk, options);
        };
        limiters.set(id, memory);
      }
      return limiters.get(id)!;
    },
  } as unknown as RateLimitStore;
  const config = {
    get: () => ({ defaultRequestsPerMinute: 0, defaultRequestsPerMonth: 0 }),
  } as unknown as ConfigService<Configuration, true>;
  return { service: new RateLimiterService(store, clock, config), limiters, consumed };
}

const principal = (limits: Partial<Principal>): Principal => ({
  type: 'api_key',
  id: 'k1',
  name: 'k',
  scopes: [],
  models: ['*'],
  ...limits,
});

describe(RateLimiterService.name, () => {
  it('should keep small limits exact, and not charge the month for a request the minute limit refused', async () => {
    const { service } = limiterWith(new Clock());
    const caller = principal({ rateLimit: { requestsPerMinute: 3 }, quota: { requestsPerMonth: 10 } });
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await service.check(caller));
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false, false]);
    expect(decisions[3].exceeded?.name).toBe('minute');
    expect(decisions[2].policies.find((policy) => policy.name === 'month')?.remaining).toBe(7);
  });

  it('should lease large limits in chunks and answer from the lease without waiting', async () => {
    const { service, consumed } = limiterWith(new Clock());
    const caller = principal({ rateLimit: { requestsPerMinute: 1_000_000 }, quota: { requestsPerMonth: 10_000 } });
    expect(await service.check(caller)).toMatchObject({ allowed: true });
    expect(consumed).toEqual([1000, 200]);
    for (let i = 0; i < 150; i++) {
      const decision = service.check(caller);
      expect(decision).not.toBeInstanceOf(Promise);
    }
    expect(consumed).toEqual([1000, 200]);
  });

  it('should use one month limiter whatever the time of the month', async () => {
    let now = new Date('2026-11-26T10:00:00Z');
    const { service, limiters } = limiterWith({ now: () => now });
    const caller = principal({ quota: { requestsPerMonth: 2 } });
    expect((await service.check(caller)).allowed).toBe(true);
    now = new Date('2026-11-26T10:00:05Z');
    expect((await service.check(caller)).allowed).toBe(true);
    expect((await service.check(caller)).allowed).toBe(false);
    now = new Date('2026-12-01T00:00:01Z');
    expect((await service.check(caller)).allowed).toBe(true);
    expect(limiters.size).toBe(1);
  });
});
