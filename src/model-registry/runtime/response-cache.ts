import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Tensor } from 'onnxruntime-node';

export interface CacheSettings {
  maxEntries: number;
  ttlSeconds?: number;
}

/**
 * Answers of one model version by input: the key is a SHA-256 over every input's name, type, shape
 * and bytes (and the outputs asked for), so only an identical request is answered from it.
 */
export class ResponseCache {
  private readonly entries: LRUCache<string, Record<string, Tensor>>;

  constructor(readonly settings: CacheSettings) {
    this.entries = new LRUCache({
      max: settings.maxEntries,
      ...(settings.ttlSeconds ? { ttl: settings.ttlSeconds * 1000 } : {}),
    });
  }

  /** Whether these settings are what the cache was built with. */
  matches(settings: CacheSettings): boolean {
    return settings.maxEntries === this.settings.maxEntries && settings.ttlSeconds === this.settings.ttlSeconds;
  }

  keyOf(feeds: Record<string, Tensor>, outputNames?: string[]): string {
    const hash = createHash('sha256');
    for (const name of Object.keys(feeds).sort()) {
      const tensor = feeds[name];
      hash.update(`${name}\0${tensor.type}\0${tensor.dims.join(',')}\0`);
      const data = tensor.data;
      if (Array.isArray(data)) hash.update(JSON.stringify(data));
      else {
        const view = data as ArrayBufferView;
        hash.update(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      }
    }
    hash.update(`\0${outputNames?.join(',') ?? '*'}`);
    return hash.digest('base64');
  }

  get(key: string): Record<string, Tensor> | undefined {
    return this.entries.get(key);
  }

  set(key: string, outputs: Record<string, Tensor>): void {
    this.entries.set(key, outputs);
  }
}
