import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { createApp } from './app.factory';
import { ConfigValidationError } from './config/config.errors';
import { Configuration, loadConfiguration } from './config/configuration';
import { loadEnvFile } from './config/env-file';

function readConfiguration(): Configuration {
  loadEnvFile();
  try {
    return loadConfiguration();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function bootstrap(): Promise<void> {
  const configuration = readConfiguration();
  const app = await createApp(configuration);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen({ port: configuration.app.port, host: configuration.app.host });
  app
    .get(Logger)
    .log(`Modelgate listening on ${await app.getUrl()} (docs: ${configuration.app.publicUrl}/docs)`, 'Main');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `Modelgate failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
