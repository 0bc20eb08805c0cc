import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { DomainError } from '../common/errors/domain.error';
import { ModelErrorCode } from './model.errors';
import { fromWire, toWire, transferables, WireTensor, WorkerReply, WorkerRequest, WorkerSetup } from './session-wire';
import { Signature, signatureOf } from './signature';

/**
 * The compiled worker script: beside this module in dist/, or, when the sources run under the test
 * runner, in dist/ (which `npm test` builds first).
 */
const WORKER_SCRIPT =
  [
    join(__dirname, 'session-worker.js'),
    join(__dirname, '..', '..', 'dist', 'src', 'model-registry', 'session-worker.js'),
  ].find((path) => existsSync(path)) ?? join(__dirname, 'session-worker.js');

/** How a model version executes: on the event loop, or in worker threads that each own a session. */
export interface ExecutionSettings {
  /** Worker threads running the model; 0 runs it on the event loop. */
  workerThreads: number;
  session: InferenceSession.SessionOptions;
}

/** A loaded model, wherever it runs. */
export interface ModelSession {
  readonly signature: Signature;
  /** Runs that can proceed at once (the batcher keeps this many batches in flight). */
  readonly concurrency: number;
  run(feeds: Record<string, Tensor>, outputNames?: string[]): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** Loads `bytes` as configured; throws ONNX Runtime's reason when the model cannot load. */
export async function openSession(bytes: Uint8Array, execution: ExecutionSettings): Promise<ModelSession> {
  if (execution.workerThreads <= 0) {
    const session = await InferenceSession.create(bytes, execution.session);
    try {
      return new InlineSession(session);
    } catch (error) {
      await session.release(); // a signature the platform cannot serve
      throw error;
    }
  }
  const workers = await Promise.allSettled(
    Array.from({ length: execution.workerThreads }, () => SessionThread.start(bytes, execution.session)),
  );
  const started = workers.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = workers.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(started.map((thread) => thread.release()));
    throw failure.reason;
  }
  return new ThreadedSession(started);
}

/**
 * A session on the event loop: no hand-off cost, but ONNX Runtime runs on the calling thread, so
 * nothing else in the process moves while it runs. Right for models that run in microseconds.
 */
class InlineSession implements ModelSession {
  readonly signature: Signature;
  readonly concurrency = 1;

  constructor(private readonly session: InferenceSession) {
    this.signature = signatureOf(session);
  }

  run(feeds: Record<string, Tensor>, outputNames?: string[]): Promise<Record<string, Tensor>> {
    return outputNames ? this.session.run(feeds, outputNames) : this.session.run(feeds);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** Runs go to the thread with the fewest runs in flight. */
class ThreadedSession implements ModelSession {
  readonly signature: Signature;
  readonly concurrency: number;

  constructor(private readonly threads: SessionThread[]) {
    this.signature = threads[0].signature;
    this.concurrency = threads.length;
  }

  run(feeds: Record<string, Tensor>, outputNames?: string[]): Promise<Record<string, Tensor>> {
    // A thread that died (it should not) is passed over; with none left, runs fail with a 503.
    let thread = this.threads[0];
    for (const candidate of this.threads) {
      if (candidate.alive && (!thread.alive || candidate.inFlight < thread.inFlight)) thread = candidate;
    }
    return thread.run(feeds, outputNames);
  }

  async release(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.release()));
  }
}

interface Call {
  resolve(outputs: Record<string, Tensor>): void;
  reject(error: unknown): void;
}

/** One worker thread and its session (see session-worker.ts). */
class SessionThread {
  private readonly calls = new Map<number, Call>();
  private nextCall = 0;
  private stopped?: Error;

  private constructor(
    private readonly worker: Worker,
    readonly signature: Signature,
  ) {
    worker.on('message', (reply: WorkerReply) => this.settle(reply));
    worker.on('error', (error) => this.stop(error));
    worker.on('exit', (code) => this.stop(new Error(`the model's worker thread exited (${code})`)));
  }

  static start(bytes: Uint8Array, options: InferenceSession.SessionOptions): Promise<SessionThread> {
    const setup: WorkerSetup = { bytes, options };
    const worker = new Worker(WORKER_SCRIPT, { workerData: setup });
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        reject(error);
        void worker.terminate();
      };
      worker.once('error', fail);
      worker.once('message', (reply: WorkerReply) => {
        worker.off('error', fail);
        if (reply.type === 'ready') {
          try {
            resolve(new SessionThread(worker, signatureOf(reply)));
          } catch (error) {
            fail(error as Error);
          }
        } else fail(new Error(reply.type === 'failed' ? reply.message : 'unexpected worker reply'));
      });
    });
  }

  get inFlight(): number {
    return this.calls.size;
  }

  get alive(): boolean {
    return this.stopped === undefined;
  }

  run(feeds: Record<string, Tensor>, outputNames?: string[]): Promise<Record<string, Tensor>> {
    if (this.stopped) return Promise.reject(notReady(this.stopped));
    const call = this.nextCall++;
    const wired: Record<string, WireTensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) wired[name] = toWire(tensor);
    const request: WorkerRequest = { type: 'run', call, feeds: wired, outputNames };
    return new Promise((resolve, reject) => {
      this.calls.set(call, { resolve, reject });
      this.worker.postMessage(request, transferables(Object.values(wired)));
    });
  }

  async release(): Promise<void> {
    if (this.stopped) return;
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.postMessage({ type: 'release' } satisfies WorkerRequest);
    await exited;
  }

  private settle(reply: WorkerReply): void {
    if (reply.type !== 'result' && reply.type !== 'error') return;
    const call = this.calls.get(reply.call);
    if (!call) return;
    this.calls.delete(reply.call);
    if (reply.type === 'error') {
      call.reject(new Error(reply.message));
      return;
    }
    const outputs: Record<string, Tensor> = {};
    for (const [name, wire] of Object.entries(reply.outputs)) outputs[name] = fromWire(wire);
    call.resolve(outputs);
  }

  private stop(error: Error): void {
    this.stopped ??= error;
    for (const call of this.calls.values()) call.reject(notReady(error));
    this.calls.clear();
  }
}

function notReady(cause: Error): DomainError {
  return new DomainError(ModelErrorCode.ModelNotReady, 'The model stopped running; retry shortly.', {
    retryAfterSeconds: 5,
    cause,
  });
}
