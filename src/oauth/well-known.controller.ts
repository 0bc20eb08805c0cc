import { Controller, Get, Header, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../identity/access.decorators';
import { ALL_SCOPES } from '../identity/scopes';
import { SigningKeysService } from './signing-keys.service';
import { TokenService } from './token.service';

@ApiTags('oauth')
@Public()
@Controller({ path: '.well-known', version: VERSION_NEUTRAL })
export class WellKnownController {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly tokens: TokenService,
  ) {}

  /** The public keys that verify access tokens (RFC 7517). */
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  getJwks(): { keys: object[] } {
    return this.keys.jwks();
  }

  /** Authorization server metadata (RFC 8414). */
  @Get('oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=3600')
  getAuthorizationServerMetadata(): Record<string, unknown> {
    const issuer = this.tokens.issuer;
    const authMethods = ['client_secret_basic', 'client_secret_post'];
    return {
      issuer,
      token_endpoint: `${issuer}/oauth/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      grant_types_supported: ['client_credentials'],
      response_types_supported: [],
      scopes_supported: ALL_SCOPES,
      token_endpoint_auth_methods_supported: authMethods,
      introspection_endpoint_auth_methods_supported: authMethods,
      revocation_endpoint_auth_methods_supported: authMethods,
      service_documentation: `${issuer}/docs`,
    };
  }
}
