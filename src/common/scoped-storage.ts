import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * An AsyncLocalStorage that is switched off while nothing runs in it. On Node 20 an AsyncLocalStorage,
 * once run, keeps async hooks installed for the life of the process: every promise of every request
 * then calls them, admin call or not (a profile of iris predictions under load, after one audited
 * admin call, spent ~7% of the server's CPU in `node:async_hooks`). Here the storage is disabled again
 * when the last `run` settles, and Node removes its hooks when no storage is enabled.
 *
 * `work` must return a promise that settles when the work, and everything it started that reads the
 * store, is done: after that, `getStore()` answers undefined.
 */
export class ScopedStorage<T> {
  private readonly storage = new AsyncLocalStorage<T>();
  private active = 0;

  getStore(): T | undefined {
    return this.storage.getStore();
  }

  run<R>(store: T, work: () => Promise<R>): Promise<R> {
    this.active++;
    let result: Promise<R>;
    try {
      result = this.storage.run(store, work);
    } catch (error) {
      this.release();
      throw error;
    }
    return result.finally(() => this.release());
  }

  private release(): void {
    if (--this.active === 0) this.storage.disable();
  }
}
