import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Principal } from './principal';
import { Scope } from './scopes';

export const IS_PUBLIC = 'modelgate:isPublic';
export const OPTIONAL_CREDENTIALS = 'modelgate:optionalCredentials';
export const REQUIRED_SCOPES = 'modelgate:requiredScopes';

/** Marks a route (or controller) as open: no credentials are asked for. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/**
 * An open route that still authenticates a Bearer token or API key when one is sent (a bad one is a
 * 401); the handler decides what the principal may do.
 */
export const OptionalCredentials = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), SetMetadata(OPTIONAL_CREDENTIALS, true));

/**
 * Declares the scopes a route needs (all of them) and documents the requirement in OpenAPI for
 * every security scheme (an access token, an API key, an admin's session cookie).
 */
export function Scopes(...scopes: Scope[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPES, scopes),
    ApiSecurity('oauth2', scopes),
    ApiSecurity('apiKey'),
    ApiSecurity('session'),
    ApiUnauthorizedResponse({ description: 'Missing, malformed, unknown, expired or revoked credentials.' }),
    ApiForbiddenResponse({
      description: `Requires scope ${scopes.join(', ')}. With the session cookie, \`csrf_failed\` when a POST, PUT, PATCH or DELETE lacks the session's X-CSRF-Token.`,
    }),
  );
}

/** The authenticated caller, as resolved by the global guard. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});

/** The caller when one authenticated (routes with {@link OptionalCredentials}). */
export const OptionalPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal | undefined =>
    context.switchToHttp().getRequest<FastifyRequest>().principal,
);
