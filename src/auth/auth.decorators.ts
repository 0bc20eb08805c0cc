import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Principal } from './principal';
import { Scope } from './scopes';

export const IS_PUBLIC = 'modelgate:isPublic';
export const REQUIRED_SCOPES = 'modelgate:requiredScopes';

/** Marks a route (or controller) as open: no credentials are asked for. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/**
 * Declares the scopes a route needs (all of them) and documents the requirement in OpenAPI for
 * both security schemes.
 */
export function Scopes(...scopes: Scope[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPES, scopes),
    ApiSecurity('oauth2', scopes),
    ApiSecurity('apiKey'),
    ApiUnauthorizedResponse({ description: 'Missing, malformed, unknown, expired or revoked credentials.' }),
    ApiForbiddenResponse({ description: `Requires scope ${scopes.join(', ')}.` }),
  );
}

/** The authenticated caller, as resolved by the global guard. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});
