import { Injectable } from '@nestjs/common';
import { insufficientScope, unauthorized } from '../identity/identity.errors';
import { Principal } from '../identity/principal';
import { Scope } from '../identity/scopes';
import { cookieValue, SESSION_COOKIE } from '../sessions/session-secret';
import { ApiKeyStrategy } from './strategies/api-key.strategy';
import { BearerStrategy } from './strategies/bearer.strategy';
import { SessionStrategy } from './strategies/session.strategy';

const BEARER = /^bearer\s+(\S+)\s*$/i;

/**
 * Where a call's credentials are: the HTTP request's headers, or a gRPC call's metadata (lower-cased
 * names, one value or several).
 */
export interface CredentialHeaders {
  authorization?: string | string[];
  'x-api-key'?: string | string[];
  /** A browser's `mg_session` cookie (HTTP only). */
  cookie?: string | string[];
  'x-csrf-token'?: string | string[];
}

export interface AuthenticateOptions {
  /** The request's method: a session cookie on anything but GET, HEAD or OPTIONS needs X-CSRF-Token. */
  method?: string;
  /** Whether the session cookie counts (not on the OAuth endpoints, whose callers are machines). */
  session?: boolean;
}

/**
 * Turns the one credential a request carries (a Bearer access token or an `X-API-Key`, else a browser's
 * session cookie) into its principal. A request with a key or token is authenticated by it alone, the
 * cookie ignored: only a request the cookie authenticates needs (and is checked for) the CSRF token. The credential goes straight to its Passport strategy's `validate`:
 * `passport.authenticate` would wrap every request in a fresh middleware, strategy copy and promise
 * for the same result. Transport-free: it reads a header map, so every protocol authenticates the same
 * way (the global guard, the data plane).
 */
@Injectable()
export class RequestAuthenticator {
  constructor(
    private readonly bearer: BearerStrategy,
    private readonly apiKey: ApiKeyStrategy,
    private readonly session: SessionStrategy,
  ) {}

  /**
   * The principal, or undefined when the call carries no credential; 401 for a bad or a second one (a
   * session cookie besides a key or token is not a second credential), 403 `csrf_failed` for a
   * state-changing request made with the cookie without its X-CSRF-Token.
   */
  async authenticate(
    headers: CredentialHeaders,
    { method = 'POST', session = true }: AuthenticateOptions = {},
  ): Promise<Principal | undefined> {
    const authorization = headers.authorization;
    const apiKey = headers['x-api-key'];
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
    const secret = session ? cookieValue(headers.cookie, SESSION_COOKIE) : undefined;
    if (secret !== undefined) return this.session.validate(secret, method, headers['x-csrf-token']);
    return undefined;
  }

  /** The call's principal, which must hold every scope in `scopes` (401 without one, 403 short of a scope). */
  async require(
    headers: CredentialHeaders,
    scopes: readonly Scope[],
    options?: AuthenticateOptions,
  ): Promise<Principal> {
    return authorize(await this.authenticate(headers, options), scopes);
  }
}

/** The principal, when there is one holding every scope in `scopes` (401 without one, 403 short of a scope). */
export function authorize(principal: Principal | undefined, scopes: readonly Scope[]): Principal {
  if (!principal) throw unauthorized('Authentication required.');
  if (!scopes.every((scope) => principal.scopes.includes(scope))) throw insufficientScope(scopes);
  return principal;
}
