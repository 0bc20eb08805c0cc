import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/** TypeORM's own `pg` connection pool, for what its query API does not offer (prepared statements). */
export function pgPool(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}
