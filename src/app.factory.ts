import { VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule, ModuleImport } from './app.module';
import { version } from './common/version';
import { Configuration } from './config/configuration';
import { serveConsole } from './console/console-assets';
import { setupDocs } from './docs/setup-docs';
import { INFERENCE_MODELS } from './protocols/http/inference.docs';
import { configureLogging, NestLogger } from './observability/logging';
import { configureHttp, createFastifyAdapter } from './protocols/http/http-server';

export interface CreateAppOptions {
  /** Extra modules to mount (tests use this for probe routes). */
  imports?: ModuleImport[];
}

/**
 * Builds the application (not yet listening): the HTTP server (protocols/http/http-server.ts), the
 * modules (app.module.ts), URI versioning, the OpenAPI document and the admin console's assets. Used by
 * `main.ts` and the tests.
 */
export async function createApp(
  configuration: Configuration,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  configureLogging(configuration.app);
  const adapter = createFastifyAdapter(configuration);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(configuration, options.imports),
    adapter,
    { bufferLogs: true },
  );
  app.useLogger(new NestLogger());
  app.enableVersioning({ type: VersioningType.URI });
  configureHttp(app, configuration);
  setupDocs(app, configuration.app, version, INFERENCE_MODELS);
  serveConsole(app, configuration.app.publicUrl);
  return app;
}
