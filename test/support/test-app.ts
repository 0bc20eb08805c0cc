import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp, CreateAppOptions } from '../../src/app.factory';
import { loadConfiguration } from '../../src/config/configuration';
import { Env } from '../../src/config/env';

export interface TestApp {
  app: NestFastifyApplication;
  /** Base URL of the listening server, e.g. `http://127.0.0.1:41234`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the real application on a loopback port: `DATABASE_URL` when set (CI's PostgreSQL),
 * otherwise a fresh in-memory PGlite. `env` overrides individual settings.
 */
export async function startTestApp(env: Env = {}, options: CreateAppOptions = {}): Promise<TestApp> {
  const configuration = loadConfiguration({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    EMBEDDED_DATA_DIR: 'memory://',
    BOOTSTRAP_ADMIN_KEY: 'false',
    ...env,
  });
  const app = await createApp(configuration, options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('The test server has no TCP address');
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}
