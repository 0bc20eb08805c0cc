import { clientPrincipal } from './client-principal';
import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Principal } from '../identity/principal';
import { insufficientScope } from '../identity/identity.errors';
import { isScope, Scope } from '../identity/scopes';
import { ClientAuthenticator, FormBody, invalidClient } from './client-authenticator';
import { OAuthClientEntity } from './oauth-client.entity';
import { OAuthErrorCode, oauthError } from './oauth.errors';
import { IssuedToken, TokenService } from './token.service';

/** The token (RFC 6749 §4.4), introspection (RFC 7662) and revocation (RFC 7009) endpoints. */
@Injectable()
export class OAuthService {
  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly tokens: TokenService,
  ) {}

  async issueToken(request: FastifyRequest, body: FormBody): Promise<IssuedToken> {
    assertForm(request);
    const grantType = param(body, 'grant_type');
    const credentials = this.clients.credentials(request, body);
    if (!grantType) throw oauthError(OAuthErrorCode.InvalidRequest, 'grant_type is required.');
    if (!credentials) throw invalidClient('client_secret_post', 'Client authentication is required.');
    const client = await this.clients.authenticate(credentials, request.ip);
    if (grantType !== 'client_credentials') {
      throw oauthError(OAuthErrorCode.UnsupportedGrantType, 'Only the client_credentials grant is supported.');
    }
    if (client.disabledAt) throw oauthError(OAuthErrorCode.UnauthorizedClient, 'This client is disabled.');
    const scopes = requestedScopes(param(body, 'scope'), client);
    request.principal = clientPrincipal(client);
    return this.tokens.issue(client, scopes);
  }

  async introspect(
    request: FastifyRequest,
    body: FormBody,
    admin: Principal | undefined,
  ): Promise<Record<string, unknown>> {
    const caller = await this.caller(request, body, admin);
    const token = param(body, 'token');
    if (!token) throw oauthError(OAuthErrorCode.InvalidRequest, 'token is required.');
    return this.tokens.introspect(token, caller);
  }

  async revoke(request: FastifyRequest, body: FormBody, admin: Principal | undefined): Promise<void> {
    const caller = await this.caller(request, body, admin);
    const token = param(body, 'token');
    if (!token) throw oauthError(OAuthErrorCode.InvalidRequest, 'token is required.');
    await this.tokens.revoke(token, caller);
  }

  /** The client id the caller acts for, or undefined for a clients:manage admin (any client). */
  private async caller(
    request: FastifyRequest,
    body: FormBody,
    admin: Principal | undefined,
  ): Promise<string | undefined> {
    assertForm(request);
    const credentials = this.clients.credentials(request, body);
    if (credentials) return (await this.clients.authenticate(credentials, request.ip)).clientId;
    if (!admin) throw invalidClient('client_secret_basic', 'Authenticate as the client, or with clients:manage.');
    if (!admin.scopes.includes(Scope.ClientsManage)) throw insufficientScope([Scope.ClientsManage]);
    return undefined;
  }
}

function assertForm(request: FastifyRequest): void {
  const type = request.headers['content-type'] ?? '';
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw oauthError(OAuthErrorCode.InvalidRequest, 'The body must be application/x-www-form-urlencoded.');
  }
}

function param(body: FormBody, name: string): string | undefined {
  const value = body?.[name];
  if (Array.isArray(value)) throw oauthError(OAuthErrorCode.InvalidRequest, `Parameter ${name} is repeated.`);
  return value === '' ? undefined : value;
}

function requestedScopes(scope: string | undefined, client: OAuthClientEntity): Scope[] {
  if (scope === undefined) return client.scopes;
  const requested = [...new Set(scope.split(' ').filter(Boolean))];
  const invalid = requested.filter((value) => !isScope(value) || !client.scopes.includes(value));
  if (requested.length === 0 || invalid.length > 0) {
    throw oauthError(
      OAuthErrorCode.InvalidScope,
      `Scope not allowed for this client: ${invalid.join(' ') || '(empty)'}.`,
    );
  }
  return requested as Scope[];
}
