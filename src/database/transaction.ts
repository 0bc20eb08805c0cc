import { DataSource, EntityManager, ObjectLiteral, Repository } from 'typeorm';
import { ScopedStorage } from '../common/scoped-storage';

interface Transaction {
  manager: EntityManager;
  afterCommit: (() => void)[];
}

const current = new ScopedStorage<Transaction>();

/**
 * Runs `work` in one database transaction that every repository reached from it joins (see
 * `joined`), so a change and the audit event recording it commit or roll back together. Nested
 * calls join the outer transaction. Callbacks registered with `afterCommit` run once it commits.
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  const outer = current.getStore();
  if (outer) return work(outer.manager);
  const transaction: Transaction = { manager: dataSource.manager, afterCommit: [] };
  const result = await dataSource.transaction((manager) => {
    transaction.manager = manager;
    return current.run(transaction, () => work(manager));
  });
  for (const callback of transaction.afterCommit) callback();
  return result;
}

/** The repository as seen from the current transaction, if any: the same repository otherwise. */
export function joined<E extends ObjectLiteral>(repository: Repository<E>): Repository<E> {
  const transaction = current.getStore();
  return transaction ? transaction.manager.getRepository(repository.target) : repository;
}

/** Runs `callback` once the current transaction commits (never if it rolls back); now when there is none. */
export function afterCommit(callback: () => void): void {
  const transaction = current.getStore();
  if (transaction) transaction.afterCommit.push(callback);
  else callback();
}
