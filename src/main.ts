import 'reflect-metadata';
import cluster from 'node:cluster';
import { Logger } from 'nestjs-pino';
import { createApp } from './app.factory';
import { runPrimary } from './cluster';
import { workerCount } from './config/processes';
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

async function bootstrap(configuration: Configuration): Promise<void> {
  const app = await createApp(configuration);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen({ port: configuration.app.port, host: configuration.app.host });
  app
    .get(Logger)
    .log(`Modelgate listening on ${await app.getUrl()} (docs: ${configuration.app.publicUrl}/docs)`, 'Main');
}

/** One process, or with WORKERS > 1 (default: one per core with DATABASE_URL) a cluster of them. */
function main(): Promise<void> {
  const configuration = readConfiguration();
  const embedded = !configuration.database.url;
  const workers = workerCount(configuration);
  if ((configuration.app.workers ?? 1) > 1 && embedded) {
    process.stderr.write('WORKERS > 1 needs DATABASE_URL (the embedded database serves one process); running one.\n');
  } else if (workers > 1 && cluster.isPrimary) {
    runPrimary(workers);
    return Promise.resolve();
  }
  return bootstrap(configuration);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Modelgate failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
