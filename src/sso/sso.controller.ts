import { Controller, Get, Header, Headers, Query, Redirect, Req, Res, VERSION_NEUTRAL } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiQuery,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../identity/access.decorators';
import { cookieValue } from '../sessions/session-secret';
import { LOGIN_COOKIE } from './login-secrets';
import { SsoLoginQuery } from './sso.dto';
import { SsoLoginService, SsoRedirect } from './sso-login.service';

const LOCATION = { Location: { description: 'Where the browser goes next.', schema: { type: 'string' } } };

/** Admin sign-in through the organisation's identity provider (browsers only: redirects and cookies). */
@ApiTags('auth')
@Controller({ path: 'auth/sso', version: VERSION_NEUTRAL })
@ApiNotFoundResponse({ description: '`sso_disabled`: single sign-on is not configured (SSO_CLIENT_ID).' })
@ApiBadGatewayResponse({ description: '`sso_provider_unavailable`: the identity provider failed or is unreachable.' })
export class SsoController {
  constructor(private readonly sso: SsoLoginService) {}

  /** Start signing in: 302 to the identity provider (authorization code flow, PKCE, state, nonce). */
  @Public()
  @Get('login')
  @Redirect()
  @Header('Cache-Control', 'no-store')
  @ApiFoundResponse({ description: 'To the identity provider.', headers: LOCATION })
  @ApiTooManyRequestsResponse({ description: 'Over 120 sign-ins started from one IP in a minute (see Retry-After).' })
  async startSsoLogin(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query() query: SsoLoginQuery,
  ): Promise<{ url: string; statusCode: number }> {
    return send(reply, await this.sso.login(query.returnTo, request.ip));
  }

  /** Where the provider sends the browser back: starts a session (the `mg_session` cookie), 302 to `returnTo`. */
  @Public()
  @Get('callback')
  @Redirect()
  @Header('Cache-Control', 'no-store')
  @ApiQuery({ name: 'code', required: false, type: String })
  @ApiQuery({ name: 'state', required: false, type: String })
  @ApiQuery({ name: 'iss', required: false, type: String })
  @ApiQuery({ name: 'error', required: false, type: String })
  @ApiQuery({ name: 'error_description', required: false, type: String })
  @ApiFoundResponse({ description: 'Signed in: to `returnTo` (default `/console`).', headers: LOCATION })
  @ApiBadRequestResponse({
    description:
      '`sso_invalid_state` (missing, tampered, expired or replayed state; another browser) or `sso_login_failed` (the code or the ID token refused).',
  })
  @ApiForbiddenResponse({
    description: '`sso_no_role`: no group of the user maps to a scope; `sso_access_denied`: the provider said no.',
  })
  async finishSsoLogin(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('cookie') cookie?: string,
  ): Promise<{ url: string; statusCode: number }> {
    const query = (request.query ?? {}) as Record<string, unknown>;
    return send(reply, await this.sso.callback(query, cookieValue(cookie, LOGIN_COOKIE)));
  }
}

function send(reply: FastifyReply, redirect: SsoRedirect): { url: string; statusCode: number } {
  void reply.header('set-cookie', redirect.cookies);
  return { url: redirect.location, statusCode: 302 };
}
