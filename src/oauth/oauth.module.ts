import { Module } from '@nestjs/common';
import { registerErrorFormat } from '../common/errors/error-format';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { ChangeFeedModule } from '../change-feed/change-feed.module';
import { ClientAuthenticator } from './client-authenticator';
import { ClientDirectory } from './client-directory';
import { OAuthClientEntity } from './oauth-client.entity';
import { OAuthClientsController } from './oauth-clients.controller';
import { OAuthClientsRepository } from './oauth-clients.repository';
import { OAuthClientsService } from './oauth-clients.service';
import { OAUTH_ERROR_FORMAT } from './oauth-error-format';
import { OAuthController } from './oauth.controller';
import { OAuthService } from './oauth.service';
import { RevokedTokenEntity } from './revoked-token.entity';
import { SigningKeyEntity } from './signing-key.entity';
import { SigningKeysService } from './signing-keys.service';
import { TokenService } from './token.service';
import { WellKnownController } from './well-known.controller';

@Module({
  imports: [
    TypeOrmModule.forFeature([OAuthClientEntity, SigningKeyEntity, RevokedTokenEntity]),
    ChangeFeedModule,
    AuditModule,
  ],
  controllers: [OAuthController, WellKnownController, OAuthClientsController],
  providers: [
    OAuthClientsRepository,
    OAuthClientsService,
    ClientAuthenticator,
    ClientDirectory,
    SigningKeysService,
    TokenService,
    OAuthService,
  ],
  exports: [TokenService, SigningKeysService],
})
export class OAuthModule {
  constructor() {
    registerErrorFormat(OAUTH_ERROR_FORMAT);
  }
}
