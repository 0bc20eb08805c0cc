import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditContextInterceptor } from './audit-context.interceptor';
import { AuditEventEntity } from './audit-event.entity';
import { AuditEventsRepository } from './audit-events.repository';
import { AuditLog } from './audit-log.service';
import { AuditQueryService } from './audit-query.service';
import { AuditController } from './audit.controller';

/** The audit log: `AuditLog` for every module that changes something, the query API for admins. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity])],
  controllers: [AuditController],
  providers: [
    AuditEventsRepository,
    AuditLog,
    AuditQueryService,
    { provide: APP_INTERCEPTOR, useClass: AuditContextInterceptor },
  ],
  exports: [AuditLog, AuditQueryService],
})
export class AuditModule {}
