import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { admitted, Decision, RateLimiterService } from './rate-limiter.service';

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
    const apply = (settled: Decision) => {
      void reply.headers(admitted(settled));
      return true;
    };
    return decision instanceof Promise ? decision.then(apply) : apply(decision);
  }
}
