import { Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { ShutdownService } from '../lifecycle/shutdown.service';
import { HealthRegistry } from './health-registry';

/**
 * Liveness and readiness. A failed readiness probe is an answer (503 with Terminus's body), not an
 * error: it is logged once per change of state, at warn, with what is down, never once per probe.
 */
@Injectable()
export class HealthService {
  private readonly logger = new Logger(HealthService.name);
  private wasReady = true;

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

  async ready(): Promise<HealthCheckResult> {
    try {
      const result = await this.checkReadiness();
      if (!this.wasReady) this.logger.log('Ready again');
      this.wasReady = true;
      return result;
    } catch (error) {
      if (this.wasReady && error instanceof ServiceUnavailableException) {
        const body = error.getResponse() as Partial<HealthCheckResult>;
        this.logger.warn({ down: body.error }, `Not ready: ${Object.keys(body.error ?? {}).join(', ') || 'unknown'}`);
      }
      this.wasReady = false;
      throw error;
    }
  }

  private checkReadiness(): Promise<HealthCheckResult> {
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
