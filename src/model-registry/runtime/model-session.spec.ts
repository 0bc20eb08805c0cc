import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ModelSession, openSession } from './model-session';

const MLP = readFileSync(join(__dirname, '..', '..', '..', 'models', 'mlp', '1', 'model.onnx'));
const ROWS = 256;

function input(): Record<string, Tensor> {
  const data = new Float32Array(ROWS * 784);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 100) / 20;
  return { input: new Tensor('float32', data, [ROWS, 784]) };
}

/** Runs the session while counting event-loop turns: a run that blocks the loop lets none through. */
async function runCountingTurns(session: ModelSession): Promise<{ outputs: Record<string, Tensor>; turns: number }> {
  let turns = 0;
  let done = false;
  const spin = () => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const outputs = await session.run(input());
  done = true;
  return { outputs, turns };
}

describe('Model sessions', () => {
  const open: ModelSession[] = [];
  const session = async (workerThreads: number) => {
    const opened = await openSession(MLP, { workerThreads, session: { intraOpNumThreads: 1 } });
    open.push(opened);
    return opened;
  };

  afterEach(async () => {
    await Promise.all(open.splice(0).map((opened) => opened.release()));
  });

  it('should answer from a worker thread exactly as on the event loop, without blocking the loop', async () => {
    const inline = await session(0);
    const threaded = await session(2);
    expect(threaded.signature).toEqual(inline.signature);
    expect(threaded.concurrency).toBe(4); // two runs queued per thread

    const onLoop = await runCountingTurns(inline);
    const inWorker = await runCountingTurns(threaded);
    expect(Array.from(inWorker.outputs.probabilities.data as Float32Array)).toEqual(
      Array.from(onLoop.outputs.probabilities.data as Float32Array),
    );
    expect(inWorker.outputs.probabilities.dims).toEqual([ROWS, 10]);
    // ONNX Runtime runs on the calling thread: the loop is held for the whole run.
    expect(onLoop.turns).toBeLessThanOrEqual(2);
    expect(inWorker.turns).toBeGreaterThan(5);
  });

  it('should run on every thread of the pool at once', async () => {
    const threaded = await session(2);
    const results = await Promise.all([threaded.run(input()), threaded.run(input()), threaded.run(input())]);
    for (const outputs of results) expect(outputs.probabilities.dims).toEqual([ROWS, 10]);
  });

  it('should replace a worker thread that dies, answering from the others meanwhile', async () => {
    const threaded = await session(2);
    // White-box: nothing outside a crash stops a thread, so the test terminates one itself.
    const threads = (threaded as unknown as { threads: { worker: Worker; alive: boolean }[] }).threads;
    const dead = threads[0];
    await dead.worker.terminate();
    await vi.waitFor(() => expect(dead.alive).toBe(false));

    const meanwhile = await threaded.run(input());
    expect(meanwhile.probabilities.dims).toEqual([ROWS, 10]);
    await vi.waitFor(() => expect(threads[0]).not.toBe(dead), { timeout: 10_000 });
    expect(threads.map((thread) => thread.alive)).toEqual([true, true]);
    const results = await Promise.all([threaded.run(input()), threaded.run(input())]);
    for (const outputs of results)
      expect(Array.from(outputs.probabilities.data as Float32Array)).toEqual(
        Array.from(meanwhile.probabilities.data as Float32Array),
      );
  });

  it('should carry string tensors to and from a worker thread', async () => {
    const text = readFileSync(join(__dirname, '..', '..', '..', 'models', 'normalize-text', '1', 'model.onnx'));
    const threaded = await openSession(text, { workerThreads: 1, session: {} });
    open.push(threaded);
    const outputs = await threaded.run({ text: new Tensor('string', ['Hello World', 'ONNX'], [2]) });
    expect(outputs.normalized.data).toEqual(['hello world', 'onnx']);
  });

  it('should reject a file ONNX Runtime cannot load, and an input it refuses, with its reason', async () => {
    await expect(openSession(Buffer.from('not a model'), { workerThreads: 1, session: {} })).rejects.toThrow(
      /protobuf|parse|model/i,
    );
    const threaded = await session(1);
    await expect(threaded.run({ input: new Tensor('float32', new Float32Array(3), [1, 3]) })).rejects.toThrow(
      /dimension|shape|index/i,
    );
  });
});
