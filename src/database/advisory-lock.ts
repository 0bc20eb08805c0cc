import { DataSource } from 'typeorm';

/** Lock ids: any constants shared by every instance, one per critical section. */
export enum AdvisoryLock {
  Migrations = 72_351_901,
  BootstrapAdmin = 72_351_902,
  SigningKeyCreation = 72_351_903,
  UsagePartitions = 72_351_904,
  ModelConfig = 72_351_905,
}

/**
 * Runs `work` while holding a PostgreSQL session advisory lock, so that instances sharing a database
 * take turns. The lock lives on a dedicated connection; `work` uses the pool as usual. The embedded
 * database serves one process over one connection, so it needs no lock (taking one would hold the
 * only connection `work` could use).
 */
export async function withAdvisoryLock<T>(
  dataSource: DataSource,
  lock: AdvisoryLock,
  work: () => Promise<T>,
): Promise<T> {
  if (isEmbedded(dataSource)) return work();
  const holder = dataSource.createQueryRunner();
  await holder.connect();
  try {
    await holder.query('SELECT pg_advisory_lock($1)', [lock]);
    return await work();
  } finally {
    await holder.query('SELECT pg_advisory_unlock($1)', [lock]).catch(() => undefined);
    await holder.release();
  }
}

/** Whether the data source talks to the embedded database (its pool is a single connection). */
export function isEmbedded(dataSource: DataSource): boolean {
  return (dataSource.options as { extra?: { embedded?: boolean } }).extra?.embedded === true;
}
