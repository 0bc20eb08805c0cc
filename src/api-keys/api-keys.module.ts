import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { ChangeFeedModule } from '../change-feed/change-feed.module';
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { BootstrapAdminService } from './bootstrap-admin.service';

@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity]), ChangeFeedModule, AuditModule],
  controllers: [ApiKeysController],
  providers: [ApiKeysRepository, ApiKeysService, ApiKeyAuthenticator, BootstrapAdminService],
  exports: [ApiKeysService, ApiKeyAuthenticator],
})
export class ApiKeysModule {}
