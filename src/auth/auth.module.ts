import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { OAuthModule } from '../oauth/oauth.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AuthGuard } from './auth.guard';
import { RequestAuthenticator } from './request-authenticator';
import { ApiKeyStrategy } from './strategies/api-key.strategy';
import { BearerStrategy } from './strategies/bearer.strategy';
import { SessionStrategy } from './strategies/session.strategy';

@Module({
  imports: [PassportModule, ApiKeysModule, OAuthModule, SessionsModule],
  providers: [
    ApiKeyStrategy,
    BearerStrategy,
    SessionStrategy,
    RequestAuthenticator,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [RequestAuthenticator],
})
export class AuthModule {}
