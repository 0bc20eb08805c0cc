import 'reflect-metadata';
import cluster from 'node:cluster';
import { Logger } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
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
  const address = app.getHttpServer().address() as AddressInfo;
  new Logger('Main').log(
    `Modelgate listening on ${listenUrl(address)}${wildcard(address.address) ? ' (every interface)' : ''}, docs at ${configuration.app.publicUrl}/docs`,
  );
}

function wildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** The address the server really listens on, as a URL (IPv6 in brackets). */
function listenUrl({ address, port }: AddressInfo): string {
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
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
