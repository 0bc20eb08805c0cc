import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CredentialEventEntity } from './credential-event.entity';
import { CredentialEventsService } from './credential-events.service';

@Module({
  imports: [TypeOrmModule.forFeature([CredentialEventEntity])],
  providers: [CredentialEventsService],
  exports: [CredentialEventsService],
})
export class CredentialEventsModule {}
