import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { insufficientScope, unauthorized } from './auth.errors';
import { Principal } from './principal';
import { Scope } from './scopes';
import { ApiKeyStrategy } from './strategies/api-key.strategy';
import { BearerStrategy } from './strategies/bearer.strategy';

const BEARER = /^bearer\s+(\S+)\s*$/i;

/**
 * Turns the one credential a request carries (a Bearer access token or an `X-API-Key`) into its
 * principal. The credential goes straight to its Passport strategy's `validate`:
 * `passport.authenticate` would wrap every request in a fresh middleware, strategy copy and promise
 * for the same result. Used by the global guard and by the inference routes (inference.routes.ts).
 */
@Injectable()
export class RequestAuthenticator {
  constructor(
    private readonly bearer: BearerStrategy,
    private readonly apiKey: ApiKeyStrategy,
  ) {}

  /** The principal, or undefined when the request carries no credential; 401 for a bad or a second one. */
  async authenticate(request: FastifyRequest): Promise<Principal | undefined> {
    const authorization = request.headers.authorization;
    const apiKey = request.headers['x-api-key'];
    const hasBearer = typeof authorization === 'string' && /^bearer(\s|$)/i.test(authorization);
    const hasApiKey = apiKey !== undefined;
    if (hasBearer && hasApiKey) throw unauthorized('Send exactly one credential: a Bearer token or an API key.', true);
    if (hasBearer) {
      const token = BEARER.exec(authorization)?.[1];
      if (!token) throw unauthorized('The Authorization header must be "Bearer <token>".', true);
      return this.bearer.validate(token);
    }
    if (hasApiKey) {
      if (typeof apiKey !== 'string' || apiKey === '') throw unauthorized('Send one X-API-Key header.', true);
      return this.apiKey.validate(apiKey);
    }
    return undefined;
  }

  /** The request's principal, which must hold every scope in `scopes` (401 without one, 403 short of a scope). */
  async require(request: FastifyRequest, scopes: readonly Scope[]): Promise<Principal> {
    const principal = await this.authenticate(request);
    if (!principal) throw unauthorized('Authentication required.');
    request.principal = principal;
    assertScopes(principal, scopes);
    return principal;
  }
}

export function assertScopes(principal: Principal, scopes: readonly Scope[]): void {
  if (!scopes.every((scope) => principal.scopes.includes(scope))) throw insufficientScope(scopes);
}
