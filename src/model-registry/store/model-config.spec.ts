import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { parseModelConfig } from './model-config';

describe('config.json', () => {
  it('should accept execution settings: worker threads and ONNX Runtime session options', () => {
    const config = parseModelConfig(
      JSON.stringify({
        workerThreads: 2,
        session: {
          intraOpThreads: 1,
          interOpThreads: 2,
          graphOptimizationLevel: 'extended',
          executionMode: 'parallel',
        },
        cache: { maxEntries: 100 },
      }),
    );
    expect(config.workerThreads).toBe(2);
    expect(config.session).toMatchObject({ intraOpThreads: 1, graphOptimizationLevel: 'extended' });
  });

  it.each([
    [{ workerThreads: -1 }, /workerThreads/],
    [{ workerThreads: 1.5 }, /workerThreads/],
    [{ session: { graphOptimizationLevel: 'max' } }, /graphOptimizationLevel/],
    [{ session: { intraOpThreads: 0 } }, /intraOpThreads/],
    [{ session: { executionMode: 'turbo' } }, /executionMode/],
    [{ cache: { maxEntries: 0 } }, /maxEntries/],
  ])('should reject %j', (config, reason) => {
    expect(() => parseModelConfig(JSON.stringify(config))).toThrow(reason);
  });
});
