import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, CreateAppOptions } from '../../src/app.factory';
import { loadConfiguration } from '../../src/config/configuration';
import { Env } from '../../src/config/env';
import { freePort } from './server-process';

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
  const port = await freePort();
  // Each app its own journal and spool: a test app's files must not be replayed into another's database.
  const scratch = mkdtempSync(join(tmpdir(), 'modelgate-test-app-'));
  const configuration = loadConfiguration({
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    EMBEDDED_DATA_DIR: 'memory://',
    BOOTSTRAP_ADMIN_KEY: 'false',
    USAGE_JOURNAL_DIR: join(scratch, 'usage-journal'),
    USAGE_SPOOL_DIR: join(scratch, 'usage-spool'),
    GRPC_PORT: '0',
    ...env,
  });
  const app = await createApp(configuration, options);
  await app.listen({ port, host: '127.0.0.1' });
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
