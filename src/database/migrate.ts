import { DataSource } from 'typeorm';

// Any constant shared by every instance: it names the lock that serialises migration runs.
const MIGRATION_LOCK_ID = 72_351_901;

/**
 * Runs pending migrations. Several instances may start at once against one PostgreSQL, so the run
 * holds a session advisory lock; the embedded database has one client and needs none (its single
 * pooled connection would otherwise be held by the lock itself).
 */
export async function runMigrations(dataSource: DataSource, embedded: boolean): Promise<void> {
  if (embedded) {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lock.release();
  }
}
