import { DataSource } from 'typeorm';
import { loadConfiguration } from '../../src/config/configuration';
import { dataSourceOptions } from '../../src/database/data-source.options';
import { runMigrations } from '../../src/database/migrate';

/**
 * With `DATABASE_URL` (CI), migrate the shared test database once before any test file runs; each
 * app instance then finds nothing to do. Without it, every test app starts its own in-memory PGlite.
 */
export default async function setup(): Promise<void> {
  const { database } = loadConfiguration({ ...process.env });
  if (!database.url) return;
  const dataSource = new DataSource(dataSourceOptions(database, database.url, false));
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
