import { Body, Controller, Header, HttpCode, Post, Req, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiConsumes, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { OptionalCredentials, OptionalPrincipal, Public } from '../identity/access.decorators';
import { Principal } from '../identity/principal';
import { FormBody } from './client-authenticator';
import { OAuthService } from './oauth.service';
import { IssuedToken } from './token.service';

@ApiTags('oauth')
@Controller({ path: 'oauth', version: VERSION_NEUTRAL })
export class OAuthController {
  constructor(private readonly oauth: OAuthService) {}

  /** Client credentials grant (RFC 6749 §4.4); client_secret_basic or client_secret_post. */
  @Public()
  @Post('token')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOkResponse({ description: '{"access_token","token_type":"Bearer","expires_in","scope"}' })
  issueToken(@Req() request: FastifyRequest, @Body() body: FormBody): Promise<IssuedToken> {
    return this.oauth.issueToken(request, body);
  }

  /** Token introspection (RFC 7662), by the token's client or a caller with clients:manage. */
  @OptionalCredentials()
  @Post('introspect')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiConsumes('application/x-www-form-urlencoded')
  introspectToken(
    @Req() request: FastifyRequest,
    @Body() body: FormBody,
    @OptionalPrincipal() principal?: Principal,
  ): Promise<Record<string, unknown>> {
    return this.oauth.introspect(request, body, principal);
  }

  /** Token revocation (RFC 7009): 200 whether or not the token was valid. */
  @OptionalCredentials()
  @Post('revoke')
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded')
  revokeToken(
    @Req() request: FastifyRequest,
    @Body() body: FormBody,
    @OptionalPrincipal() principal?: Principal,
  ): Promise<void> {
    return this.oauth.revoke(request, body, principal);
  }
}
