import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { DatabaseConfig } from '../config/database.config';
import { migrations } from '../../migrations';

/** Options shared by the application and the TypeORM CLI; entities are added by each. */
export function dataSourceOptions(config: DatabaseConfig, url: string, embedded: boolean): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    // PGlite serves one session at a time.
    poolSize: embedded ? 1 : config.poolSize,
    extra: { max: embedded ? 1 : config.poolSize, connectionTimeoutMillis: 10_000, embedded },
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+ (and PGlite): no extension to install.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    logging: config.logging ? ['query', 'error'] : ['error'],
    applicationName: 'modelgate',
  };
}

/** Glob of compiled entity files, for the CLI (the application registers its entities per module). */
export const compiledEntitiesGlob = join(__dirname, '..', '**', '*.entity.js');
