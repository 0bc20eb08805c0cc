import { DynamicModule, ForwardReference, Type } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { ConfigModule } from '../../src/config/config.module';
import { loadConfiguration } from '../../src/config/configuration';
import { Env } from '../../src/config/env';
import { DatabaseModule } from '../../src/database/database.module';
import { LifecycleModule } from '../../src/lifecycle/lifecycle.module';
import { ObservabilityModule } from '../../src/observability/observability.module';

type ModuleImport = Type | DynamicModule | ForwardReference;

/**
 * A module of the application under test without its HTTP layer: the configuration, the real database
 * (DATABASE_URL when set, else an in-memory PGlite) with migrations applied, and the feature modules
 * named, for specs of services against real rows.
 */
export async function startTestModule(imports: ModuleImport[], env: Env = {}): Promise<TestingModule> {
  const configuration = loadConfiguration({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    EMBEDDED_DATA_DIR: 'memory://',
    BOOTSTRAP_ADMIN_KEY: 'false',
    ...env,
  });
  const module = await Test.createTestingModule({
    imports: [ConfigModule.forRoot(configuration), ObservabilityModule, LifecycleModule, DatabaseModule, ...imports],
  }).compile();
  await module.init();
  return module;
}
