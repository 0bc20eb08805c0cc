import { Controller, Get, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult } from '@nestjs/terminus';
import { Public } from '../identity/access.decorators';
import { HealthService } from './health.service';

@ApiTags('health')
@Public()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** Liveness: the process is up and its event loop answers. */
  @Get('live')
  @HealthCheck()
  checkLiveness(): Promise<HealthCheckResult> {
    return this.health.live();
  }

  /** Readiness: the database answers and every registered indicator is up; 503 otherwise. */
  @Get('ready')
  @HealthCheck()
  @ApiServiceUnavailableResponse({ description: 'Not ready: a dependency is down or the instance is shutting down.' })
  checkReadiness(): Promise<HealthCheckResult> {
    return this.health.ready();
  }
}
