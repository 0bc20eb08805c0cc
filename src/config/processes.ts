import { availableParallelism } from 'node:os';
import type { Configuration } from './configuration';

/** Server processes to run: WORKERS, else one per core with PostgreSQL, one with the embedded database. */
export function workerCount(configuration: Pick<Configuration, 'app' | 'database'>): number {
  if (!configuration.database.url) return 1;
  return configuration.app.workers ?? availableParallelism();
}

/** ONNX Runtime intra-op threads per session: ORT_INTRA_OP_THREADS, else the cores shared out between the workers. */
export function intraOpThreads(configuration: Pick<Configuration, 'app' | 'database' | 'models'>): number {
  const configured = configuration.models.intraOpThreads;
  return configured > 0 ? configured : Math.max(1, Math.floor(availableParallelism() / workerCount(configuration)));
}
