import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Configuration } from '../config/configuration';
import { Clock } from '../rate-limit/clock';
import { UsageEventsRepository } from './usage-events.repository';

const INTERVAL_MS = 3_600_000;

/** Keeps monthly partitions created ahead of time and drops the ones past the retention, hourly. */
@Injectable()
export class UsageMaintenanceService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UsageMaintenanceService.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repository: UsageEventsRepository,
    private readonly config: ConfigService<Configuration, true>,
    private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.run();
    this.timer = setInterval(
      () => void this.run().catch((error: unknown) => this.logger.warn({ err: error }, 'Usage maintenance failed')),
      INTERVAL_MS,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async run(): Promise<void> {
    const now = this.clock.now();
    const { retentionDays, dedupeWindowHours } = this.config.get('usage', { infer: true });
    await this.repository.ensurePartitions(now);
    const dropped = await this.repository.enforceRetention(now, retentionDays, dedupeWindowHours);
    if (dropped.length > 0) this.logger.log(`Dropped usage partitions past the retention: ${dropped.join(', ')}`);
  }
}
