import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChangeFeedModule } from '../change-feed/change-feed.module';
import { SessionEntity } from './session.entity';
import { SessionAuthenticator } from './session-authenticator';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [TypeOrmModule.forFeature([SessionEntity]), ChangeFeedModule],
  controllers: [SessionsController],
  providers: [SessionsRepository, SessionAuthenticator, SessionsService],
  exports: [SessionAuthenticator, SessionsService],
})
export class SessionsModule {}
