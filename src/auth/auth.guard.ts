import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC, OPTIONAL_CREDENTIALS, REQUIRED_SCOPES } from '../identity/access.decorators';
import { Principal } from '../identity/principal';
import { authorize, RequestAuthenticator } from './request-authenticator';
import { Scope } from '../identity/scopes';

/** What a route declares about authentication, read once per handler. */
interface RouteAuth {
  isPublic: boolean;
  optional: boolean;
  scopes: readonly Scope[];
}

/**
 * The global guard: turns exactly one credential (a Bearer access token or an `X-API-Key`, else the
 * session cookie) into the request's principal and checks the scopes the route declares. Deny by default: a route is open only
 * when it is `@Public()`.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly routes = new WeakMap<object, RouteAuth>();

  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: RequestAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const route = this.routeAuth(context);
    if (route.isPublic && !route.optional) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // The open routes that take a credential (OAuth introspection and revocation) are for machines: a
    // browser's session cookie is no credential there.
    const principal = await this.authenticator.authenticate(request.headers, {
      method: request.method,
      session: !route.isPublic,
    });
    // Set before the scope check, so that a 403 is metered to its principal.
    if (principal) request.principal = principal;
    // An open route that takes a credential when one is sent: a bad one is a 401, none is fine.
    if (!route.isPublic) authorize(principal, route.scopes);
    return true;
  }

  private routeAuth(context: ExecutionContext): RouteAuth {
    const handler = context.getHandler();
    let route = this.routes.get(handler);
    if (!route) {
      const targets = [handler, context.getClass()];
      route = {
        isPublic: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) ?? false,
        optional: this.reflector.getAllAndOverride<boolean>(OPTIONAL_CREDENTIALS, targets) ?? false,
        scopes: this.reflector.getAllAndOverride<Scope[]>(REQUIRED_SCOPES, targets) ?? [],
      };
      this.routes.set(handler, route);
    }
    return route;
  }
}

/** The authenticated caller of an HTTP request, set by the guard (and the inference routes). */
declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
