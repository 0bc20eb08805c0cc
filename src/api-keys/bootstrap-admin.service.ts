import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { Configuration } from '../config/configuration';
import { AdvisoryLock, withAdvisoryLock } from '../database/advisory-lock';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';

/**
 * First start: when no admin credential exists, create one admin API key and print it once to
 * stdout (deliberately not through the logger). Instances starting together take turns on an
 * advisory lock, so exactly one key is made.
 */
@Injectable()
export class BootstrapAdminService implements OnApplicationBootstrap {
  constructor(
    private readonly config: ConfigService<Configuration, true>,
    private readonly dataSource: DataSource,
    private readonly repository: ApiKeysRepository,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.get('auth', { infer: true }).bootstrapAdminKey) return;
    const key = await withAdvisoryLock(this.dataSource, AdvisoryLock.BootstrapAdmin, async () => {
      if (await this.repository.hasActiveAdmin()) return undefined;
      return this.apiKeys.createAdminKey('bootstrap admin', 'bootstrap');
    });
    if (key) {
      process.stdout.write(
        `\nNo admin credential existed, so Modelgate created one. This is the only time it is shown:\n\n` +
          `  Admin API key: ${key.key}\n\n` +
          `Send it as the X-API-Key header. Issue partner keys with POST /v1/admin/api-keys.\n\n`,
      );
    }
  }
}
