import { Controller, Get, Header, Headers, HttpCode, Post, Res, VERSION_NEUTRAL } from '@nestjs/common';
import {
  ApiCookieAuth,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../identity/access.decorators';
import { SessionDto } from './sessions.dto';
import { SessionsService } from './sessions.service';

/** The browser's session: open routes that read the `mg_session` cookie themselves (never an API key). */
@ApiTags('auth')
@ApiCookieAuth('session')
@Controller({ path: 'auth', version: VERSION_NEUTRAL })
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  /** The signed-in user, the session's scopes, its CSRF token and expiry. */
  @Public()
  @Get('session')
  @Header('Cache-Control', 'no-store')
  @ApiUnauthorizedResponse({ description: 'No session, or it expired or ended.' })
  getSession(@Headers('cookie') cookie?: string): Promise<SessionDto> {
    return this.sessions.describe(cookie);
  }

  /** End the session on every instance and delete the cookie. Requires `X-CSRF-Token`. */
  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Signed out: the session ended on every instance, the cookie deleted.' })
  @ApiUnauthorizedResponse({ description: 'No session, or it expired or ended.' })
  @ApiForbiddenResponse({ description: '`csrf_failed`: X-CSRF-Token is missing or not the session’s.' })
  async logout(
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('cookie') cookie?: string,
    @Headers('x-csrf-token') csrfToken?: string,
  ): Promise<void> {
    void reply.header('set-cookie', await this.sessions.logout(cookie, csrfToken));
  }
}
