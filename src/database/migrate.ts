import { DataSource } from 'typeorm';
import { AdvisoryLock, withAdvisoryLock } from './advisory-lock';

/** Runs pending migrations; instances starting together against one PostgreSQL take turns. */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  await withAdvisoryLock(dataSource, AdvisoryLock.Migrations, () => dataSource.runMigrations({ transaction: 'each' }));
}
