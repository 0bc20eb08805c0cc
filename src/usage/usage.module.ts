import { Global, Module, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { HealthRegistry } from '../health/health-registry';
import { Clock } from '../rate-limit/clock';
import { UsageEventsRepository } from './usage-events.repository';
import { UsageMaintenanceService } from './usage-maintenance.service';
import { UsageQueryRepository } from './usage-query.repository';
import { UsageLiveService } from './usage-live.service';
import { UsageQueryService } from './usage-query.service';
import { UsageRecorder } from './usage-recorder.service';
import { UsageController } from './usage.controller';

/** Backlogs above this many events make the instance report itself degraded (still ready). */
const BACKLOG_WARNING = 10_000;

@Global()
@Module({
  imports: [TerminusModule],
  controllers: [UsageController],
  providers: [
    UsageEventsRepository,
    UsageRecorder,
    UsageMaintenanceService,
    UsageQueryRepository,
    UsageQueryService,
    UsageLiveService,
    Clock,
  ],
  exports: [UsageRecorder, UsageQueryService, UsageLiveService, Clock],
})
export class UsageModule implements OnModuleInit {
  constructor(
    private readonly recorder: UsageRecorder,
    private readonly health: HealthRegistry,
    private readonly indicators: HealthIndicatorService,
  ) {}

  onModuleInit(): void {
    this.health.register('usage', () => {
      const details = { backlog: this.recorder.backlog, writing: this.recorder.degraded ? 'retrying' : 'ok' };
      const indicator = this.indicators.check('usage');
      // A backlog is reported, not failed on: the instance still serves and keeps the events.
      return Promise.resolve(
        indicator.up({ ...details, ...(details.backlog > BACKLOG_WARNING ? { warning: 'large backlog' } : {}) }),
      );
    });
  }
}
