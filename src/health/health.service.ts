import { Injectable } from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { ShutdownService } from '../lifecycle/shutdown.service';
import { HealthRegistry } from './health-registry';

@Injectable()
export class HealthService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly registry: HealthRegistry,
    private readonly shutdown: ShutdownService,
  ) {}

  live(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.indicators.check('process').up({ pid: process.pid, uptimeSeconds: Math.round(process.uptime()) }),
    ]);
  }

  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => {
        const indicator = this.indicators.check('lifecycle');
        return this.shutdown.isShuttingDown
          ? indicator.down({ state: 'shutting-down' })
          : indicator.up({ state: 'serving' });
      },
      () => this.database.pingCheck('database', { timeout: 2000 }),
      ...this.registry.all(),
    ]);
  }
}
