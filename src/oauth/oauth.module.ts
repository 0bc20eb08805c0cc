import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CredentialEventsModule } from '../auth/credential-events.module';
import { ClientAuthenticator } from './client-authenticator';
import { ClientDirectory } from './client-directory';
import { OAuthClientEntity } from './oauth-client.entity';
import { OAuthClientsController } from './oauth-clients.controller';
import { OAuthClientsRepository } from './oauth-clients.repository';
import { OAuthClientsService } from './oauth-clients.service';
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
    CredentialEventsModule,
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
export class OAuthModule {}
