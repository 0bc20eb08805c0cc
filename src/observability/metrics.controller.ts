import { Controller, Get, Header, Headers, VERSION_NEUTRAL } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../identity/access.decorators';
import { unauthorized } from '../identity/identity.errors';
import { Configuration } from '../config/configuration';
import { MetricsService } from './metrics.service';

@ApiExcludeController()
@Public()
@Controller({ path: 'metrics', version: VERSION_NEUTRAL })
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly config: ConfigService<Configuration, true>,
  ) {}

  /** Prometheus text exposition; requires `Bearer <METRICS_TOKEN>` when that is set. */
  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  getMetrics(@Headers('authorization') authorization?: string): Promise<string> {
    const token = this.config.get('app', { infer: true }).metricsToken;
    if (token && !bearerMatches(authorization, token))
      throw unauthorized('A valid metrics token is required.', !!authorization);
    return this.metrics.render();
  }
}

function bearerMatches(authorization: string | undefined, token: string): boolean {
  const sent = Buffer.from(authorization?.replace(/^Bearer\s+/i, '') ?? '');
  const expected = Buffer.from(token);
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}
