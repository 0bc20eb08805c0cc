import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard as PassportGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC, OPTIONAL_CREDENTIALS, REQUIRED_SCOPES } from './auth.decorators';
import { insufficientScope, unauthorized } from './auth.errors';
import { Principal } from './principal';
import { Scope } from './scopes';

/** Runs one Passport strategy and returns its principal; failures surface as our 401. */
class StrategyGuard {
  private readonly guard: CanActivate & { handleRequest: unknown };

  constructor(strategy: string) {
    const Guard = PassportGuard(strategy);
    this.guard = new Guard();
    this.guard.handleRequest = (error: Error | null, user: Principal | false) => {
      if (error) throw error;
      if (!user) throw unauthorized('The credentials are not valid.', true);
      return user;
    };
  }

  async authenticate(context: ExecutionContext): Promise<Principal> {
    await this.guard.canActivate(context);
    return context.switchToHttp().getRequest<FastifyRequest & { user: Principal }>().user;
  }
}

/**
 * The global guard: turns exactly one credential (a Bearer access token or an `X-API-Key`) into the
 * request's principal and checks the scopes the route declares. Deny by default: a route is open only
 * when it is `@Public()`.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly bearer = new StrategyGuard('bearer');
  private readonly apiKey = new StrategyGuard('api-key');

  constructor(private readonly reflector: Reflector) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) ?? false;
    const optional = this.reflector.getAllAndOverride<boolean>(OPTIONAL_CREDENTIALS, targets) ?? false;
    if (isPublic && !optional) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const authorization = request.headers.authorization;
    const hasBearer = typeof authorization === 'string' && /^bearer\s/i.test(authorization);
    const hasApiKey = request.headers['x-api-key'] !== undefined;
    if (hasBearer && hasApiKey) throw unauthorized('Send exactly one credential: a Bearer token or an API key.', true);
    if (!hasBearer && !hasApiKey) {
      if (isPublic) return true;
      throw unauthorized('Authentication required.');
    }

    const principal = await (hasBearer ? this.bearer : this.apiKey).authenticate(context);
    request.principal = principal;
    if (isPublic) return true;
    const needed = this.reflector.getAllAndOverride<Scope[]>(REQUIRED_SCOPES, targets) ?? [];
    if (!needed.every((scope) => principal.scopes.includes(scope))) throw insufficientScope(needed);
    return true;
  }
}
