import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC, REQUIRED_SCOPES } from './auth.decorators';
import { insufficientScope, unauthorized } from './auth.errors';
import { Scope } from './scopes';

/**
 * The global guard: every route needs an authenticated principal unless it is `@Public()`, and
 * the scopes its `@Scopes()` names. Deny by default.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = request.principal;
    if (!principal) throw unauthorized('Authentication required.');
    const needed = this.reflector.getAllAndOverride<Scope[]>(REQUIRED_SCOPES, targets) ?? [];
    if (!needed.every((scope) => principal.scopes.includes(scope))) throw insufficientScope(needed);
    return true;
  }
}
