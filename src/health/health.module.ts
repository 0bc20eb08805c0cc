import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { registerErrorFormat } from '../common/errors/error-format';
import { HEALTH_ERROR_FORMAT } from './health-error-format';
import { HealthController } from './health.controller';
import { HealthRegistry } from './health-registry';
import { HealthService } from './health.service';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false, errorLogStyle: 'json' })],
  controllers: [HealthController],
  providers: [HealthService, HealthRegistry],
  exports: [HealthRegistry],
})
export class HealthModule {
  constructor() {
    registerErrorFormat(HEALTH_ERROR_FORMAT);
  }
}
