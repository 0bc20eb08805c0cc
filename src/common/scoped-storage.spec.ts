import { describe, expect, it } from 'vitest';
import { ScopedStorage } from './scoped-storage';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ScopedStorage', () => {
  it('gives the store to the work, across awaits, and nothing outside it', async () => {
    const storage = new ScopedStorage<string>();
    expect(storage.getStore()).toBeUndefined();
    const seen: (string | undefined)[] = [];
    const result = await storage.run('a', async () => {
      seen.push(storage.getStore());
      await tick();
      seen.push(storage.getStore());
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toEqual(['a', 'a']);
    expect(storage.getStore()).toBeUndefined();
  });

  it('keeps the store of a run going while another one ends', async () => {
    const storage = new ScopedStorage<string>();
    let release!: () => void;
    const long = storage.run('long', async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return storage.getStore();
    });
    await storage.run('short', async () => {
      await tick();
    });
    await tick();
    release();
    expect(await long).toBe('long');
    expect(storage.getStore()).toBeUndefined();
  });

  it('ends the run when the work fails, and runs again afterwards', async () => {
    const storage = new ScopedStorage<string>();
    await expect(
      storage.run('a', async () => {
        await tick();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(() =>
      storage.run('b', () => {
        throw new Error('sync');
      }),
    ).toThrow('sync');
    expect(await storage.run('c', () => Promise.resolve(storage.getStore()))).toBe('c');
  });
});
