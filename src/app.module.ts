import { DynamicModule, ForwardReference, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { createValidationPipe } from './common/errors/validation.pipe';
import { ConfigModule } from './config/config.module';
import { Configuration } from './config/configuration';
import { DatabaseModule } from './database/database.module';
import { DocsModule } from './docs/docs.module';
import { HealthModule } from './health/health.module';
import { ProtocolsModule } from './protocols/protocols.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { UsageModule } from './usage/usage.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { ObservabilityModule } from './observability/observability.module';

export type ModuleImport = Type | DynamicModule | Promise<DynamicModule> | ForwardReference;

@Module({})
export class AppModule {
  static forRoot(configuration: Configuration, extraImports: ModuleImport[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(configuration),
        ObservabilityModule,
        LifecycleModule,
        DatabaseModule,
        AuditModule,
        DocsModule,
        HealthModule,
        AuthModule,
        RateLimitModule,
        UsageModule,
        ProtocolsModule,
        ...extraImports,
      ],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
