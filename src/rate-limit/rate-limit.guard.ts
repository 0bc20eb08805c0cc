import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../common/errors/domain.error';
import { RateLimitErrorCode } from './rate-limit.errors';
import { Decision, PolicyState, RateLimiterService } from './rate-limiter.service';

/** `RateLimit-Policy` and `RateLimit` fields per draft-ietf-httpapi-ratelimit-headers-10. */
export function rateLimitHeaders(policies: PolicyState[]): Record<string, string> {
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
 * Runs after authentication (it is registered after the auth guard): limits every authenticated
 * request and puts the limit fields on the response. Open routes (health, docs, metrics, the token
 * endpoint) carry no principal and are never limited.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(private readonly limiter: RateLimiterService) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const http = context.switchToHttp();
    const principal = http.getRequest<FastifyRequest>().principal;
    if (!principal) return true;
    const reply = http.getResponse<FastifyReply>();
    const decision = this.limiter.check(principal);
    if (decision instanceof Promise) return decision.then((settled) => enforceDecision(settled, reply));
    return enforceDecision(decision, reply);
  }
}

/** Puts the limit fields on the response, or throws 429 when a limit refused the request. */
export function enforceDecision(decision: Decision, reply: FastifyReply): true {
  if (decision.policies.length === 0) return true;
  const headers = rateLimitHeaders(decision.policies);
  if (decision.allowed) {
    void reply.headers(headers);
    return true;
  }
  const exceeded = decision.exceeded!;
  const code = exceeded.name === 'month' ? RateLimitErrorCode.QuotaExceeded : RateLimitErrorCode.RateLimited;
  const message =
    exceeded.name === 'month'
      ? `The monthly quota of ${exceeded.quota} requests is used up; it resets at the start of next month (UTC).`
      : `The rate limit of ${exceeded.quota} requests per minute is exceeded.`;
  throw new DomainError(code, message, { retryAfterSeconds: exceeded.resetSeconds, headers });
}
