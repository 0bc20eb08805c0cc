import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { DomainError } from '../../common/errors/domain.error';
import { ModelErrorCode } from '../model.errors';
import { fromWireAll, toWireAll, transferables, WorkerReply, WorkerRequest, WorkerSetup } from './session-wire';
import { Signature, signatureOf } from './signature';

/**
 * The compiled worker script: beside this module in dist/, or, when the sources run under the test
 * runner, in dist/ (which `npm test` builds first).
 */
const WORKER_SCRIPT =
  [
    join(__dirname, 'session-worker.js'),
    join(__dirname, '..', '..', '..', 'dist', 'src', 'model-registry', 'runtime', 'session-worker.js'),
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
  /** Runs that can be in flight at once (the batcher keeps this many batches in flight). */
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
  return new ThreadedSession(started, bytes, execution.session);
}

/** How long a dead worker thread waits to be replaced: doubling from the first to the last. */
const RESTART_DELAY_MS = { first: 100, max: 30_000 };

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

/**
 * Runs a thread is given at once: the next batch waits in the thread's queue while one runs, so the
 * thread goes from one to the next without sleeping and being woken for each (`npm run bench`: ~3%
 * more MLP throughput than one at a time).
 */
const RUNS_PER_THREAD = 2;

/**
 * Runs go to the live thread with the fewest runs in flight. A thread that dies (it should not) is
 * passed over and replaced by a new one on the same model; replacements that keep dying wait longer
 * each time, up to 30 s. With no thread alive, runs fail with a 503.
 */
class ThreadedSession implements ModelSession {
  private readonly logger = new Logger('ModelSession');
  readonly signature: Signature;
  readonly concurrency: number;
  private restartDelayMs = RESTART_DELAY_MS.first;
  private readonly restarts = new Set<NodeJS.Timeout>();
  private released = false;

  constructor(
    private readonly threads: SessionThread[],
    private readonly bytes: Uint8Array,
    private readonly options: InferenceSession.SessionOptions,
  ) {
    this.signature = threads[0].signature;
    this.concurrency = threads.length * RUNS_PER_THREAD;
    threads.forEach((thread, index) => this.watch(thread, index));
  }

  run(feeds: Record<string, Tensor>, outputNames?: string[]): Promise<Record<string, Tensor>> {
    let thread = this.threads[0];
    for (const candidate of this.threads) {
      if (candidate.alive && (!thread.alive || candidate.inFlight < thread.inFlight)) thread = candidate;
    }
    const outputs = thread.run(feeds, outputNames);
    if (this.restartDelayMs !== RESTART_DELAY_MS.first)
      void outputs.then(() => (this.restartDelayMs = RESTART_DELAY_MS.first)).catch(() => undefined);
    return outputs;
  }

  async release(): Promise<void> {
    this.released = true;
    for (const timer of this.restarts) clearTimeout(timer);
    await Promise.all(this.threads.map((thread) => thread.release()));
  }

  private watch(thread: SessionThread, index: number): void {
    void thread.stopped.then((reason) => this.scheduleReplacement(index, reason));
  }

  private scheduleReplacement(index: number, reason: Error): void {
    if (this.released) return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(delay * 2, RESTART_DELAY_MS.max);
    this.logger.error(`A model worker thread stopped (${reason.message}); starting another in ${delay} ms`);
    const timer = setTimeout(() => {
      this.restarts.delete(timer);
      void this.replace(index);
    }, delay);
    timer.unref();
    this.restarts.add(timer);
  }

  private async replace(index: number): Promise<void> {
    try {
      const thread = await SessionThread.start(this.bytes, this.options);
      if (this.released) {
        await thread.release();
        return;
      }
      this.threads[index] = thread;
      this.watch(thread, index);
    } catch (error) {
      // The model loaded before, so this is the machine (memory, threads): try again later.
      this.scheduleReplacement(index, error as Error);
    }
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
  private stopReason?: Error;
  private onStop!: (reason: Error) => void;
  /** Settles when the thread has stopped: it failed, exited or was released. */
  readonly stopped = new Promise<Error>((resolve) => (this.onStop = resolve));

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
    return this.stopReason === undefined;
  }

  run(feeds: Record<string, Tensor>, outputNames?: string[]): Promise<Record<string, Tensor>> {
    if (this.stopReason) return Promise.reject(notReady(this.stopReason));
    const call = this.nextCall++;
    const wired = toWireAll(feeds);
    const request: WorkerRequest = { type: 'run', call, feeds: wired, outputNames };
    return new Promise((resolve, reject) => {
      this.calls.set(call, { resolve, reject });
      this.worker.postMessage(request, transferables(Object.values(wired)));
    });
  }

  async release(): Promise<void> {
    if (this.stopReason) return;
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
    call.resolve(fromWireAll(reply.outputs));
  }

  private stop(error: Error): void {
    if (this.stopReason) return;
    this.stopReason = error;
    for (const call of this.calls.values()) call.reject(notReady(error));
    this.calls.clear();
    this.onStop(error);
  }
}

function notReady(cause: Error): DomainError {
  return new DomainError(ModelErrorCode.ModelNotReady, 'The model stopped running; retry shortly.', {
    retryAfterSeconds: 5,
    cause,
  });
}
