import { join } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ModelVersion } from './model-version';

const MLP = join(__dirname, '..', '..', '..', 'models', 'mlp', '1', 'model.onnx');
const ROWS = 4096;

function version(timeoutMs: number): ModelVersion {
  return new ModelVersion('mlp', 1, MLP, {
    settings: () => ({ maxBatchSize: 1, maxQueueDelayMicros: 0, maxQueueSize: 10, timeoutMs }),
    cacheSettings: () => undefined,
    observe: () => undefined,
    observeCache: () => undefined,
  });
}

const input = () => ({ input: new Tensor('float32', new Float32Array(ROWS * 784).fill(0.5), [ROWS, 784]) });

describe('A model version run in a worker thread', () => {
  it('should answer inference_timeout when the run outlasts the deadline, and unload once the run is over', async () => {
    const slow = version(1);
    await slow.load({ workerThreads: 1, session: { intraOpNumThreads: 1 } });
    expect(slow.state).toBe('READY');
    await expect(slow.run(input())).rejects.toMatchObject({ code: 'inference_timeout' });
    await slow.unload(); // waits for the abandoned run, then releases the session
    expect(slow.state).toBe('UNAVAILABLE');

    const patient = version(60_000);
    await patient.load({ workerThreads: 1, session: { intraOpNumThreads: 1 } });
    const { outputs } = await patient.run(input());
    expect(outputs.probabilities.dims).toEqual([ROWS, 10]);
    await patient.unload();
  });
});
