import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfiguration } from '../config/configuration';
import { loadEnvFile } from '../config/env-file';
import { compiledEntitiesGlob, dataSourceOptions } from './data-source.options';
import { EmbeddedDatabase } from './embedded-database';

/**
 * The data source the TypeORM CLI uses (`npm run migration:*`, run from `dist/`). Without
 * `DATABASE_URL` it starts the embedded database on the configured data directory; the CLI
 * exits the process when it is done.
 */
async function createCliDataSource(): Promise<DataSource> {
  loadEnvFile();
  const { database } = loadConfiguration();
  const url = database.url ?? (await EmbeddedDatabase.start(database.embeddedDataDir)).url;
  return new DataSource({
    ...dataSourceOptions(database, url, database.url === undefined),
    entities: [compiledEntitiesGlob],
  });
}

export const cliDataSource = createCliDataSource();
