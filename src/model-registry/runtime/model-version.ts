import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Tensor } from 'onnxruntime-node';
import { DomainError } from '../../common/errors/domain.error';
import { Batcher, BatchSettings, inferenceTimeout, rowsOf, RunResult } from './batcher';

export type { RunResult } from './batcher';
import { ModelErrorCode } from '../model.errors';
import { CacheSettings, ResponseCache } from './response-cache';
import { ExecutionSettings, ModelSession, openSession } from './model-session';
import { hasBatchDimension, Signature } from './signature';

export type VersionState = 'READY' | 'LOADING' | 'UNAVAILABLE' | 'FAILED';

export interface VersionOptions {
  /** The model's current execution settings (config.json may change while the version serves). */
  settings(): BatchSettings;
  /** The model's response cache settings; undefined when it has none. */
  cacheSettings(): CacheSettings | undefined;
  /** Once per run: each request's time in the queue, the run's time and rows. */
  observe(queueMs: number[], inferMs: number, rows: number): void;
  observeCache(hit: boolean): void;
}

/**
 * One version of a model and its ONNX Runtime session. Requests in flight are counted, so that an
 * unload (or a removed file) releases the session only after they finish.
 */
export class ModelVersion {
  state: VersionState = 'LOADING';
  signature?: Signature;
  error?: string;
  sha256 = '';
  sizeBytes = 0;
  private session?: ModelSession;
  private inFlight = 0;
  private drained?: () => void;
  private readonly batcher: Batcher;
  private cache?: ResponseCache;
  /** Set with the signature: `batchable` is read on every request. */
  private stackable = false;

  constructor(
    readonly model: string,
    readonly version: number,
    readonly path: string,
    private readonly options: VersionOptions,
  ) {
    this.batcher = new Batcher(() => this.session, options.settings, options.observe);
  }

  /** Whether requests can be stacked along a batch axis. */
  get batchable(): boolean {
    return this.stackable;
  }

  get queueDepth(): number {
    return this.batcher.depth;
  }

  /** Loads the session from the file; a failure leaves the version FAILED with the reason. */
  async load(execution: ExecutionSettings): Promise<void> {
    this.state = 'LOADING';
    this.error = undefined;
    try {
      const bytes = await readFile(this.path);
      await this.adopt(await openSession(bytes, execution), bytes);
    } catch (error) {
      this.state = 'FAILED';
      this.error = describeOrtError(error);
    }
  }

  /** Takes over a session already created from these bytes (an upload that was validated by loading it). */
  async adopt(session: ModelSession, bytes: Uint8Array): Promise<void> {
    await this.session?.release();
    this.signature = session.signature;
    this.stackable = hasBatchDimension(session.signature);
    this.session = session;
    this.sha256 = createHash('sha256').update(bytes).digest('hex');
    this.sizeBytes = bytes.byteLength;
    this.state = 'READY';
  }

  /**
   * Runs the request, batched with others when the model allows it, or answers it from the response
   * cache when the model has one; ONNX Runtime errors become 400s.
   */
  async run(feeds: Record<string, Tensor>, outputNames?: string[]): Promise<RunResult> {
    const cache = this.responseCache();
    // The key is taken before the run: the input buffers may move to a worker thread.
    const key = cache?.keyOf(feeds, outputNames);
    if (cache && key) {
      const outputs = cache.get(key);
      this.options.observeCache(outputs !== undefined);
      if (outputs) return { outputs, queueMs: 0, inferMs: 0, cached: true };
    }
    const result = await this.execute(feeds, outputNames);
    if (cache && key) cache.set(key, result.outputs);
    return result;
  }

  /**
   * Queue (or not) and run, within INFERENCE_TIMEOUT_MS from now: past it the request fails with
   * inference_timeout, while a run already in a worker thread finishes on its own (the version counts
   * it in flight until then). A run on the event loop cannot be interrupted and always completes.
   */
  private execute(feeds: Record<string, Tensor>, outputNames?: string[]): Promise<RunResult> {
    const session = this.session;
    if (this.state !== 'READY' || !session) {
      return Promise.reject(
        new DomainError(ModelErrorCode.ModelNotReady, `${this.model} v${this.version} is not ready.`, {
          retryAfterSeconds: 5,
        }),
      );
    }
    const settings = this.options.settings();
    const batched = this.batchable && settings.maxBatchSize > 1;
    this.inFlight++;
    const work = this.runOn(session, batched, feeds, outputNames).finally(() => {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    });
    // The batcher keeps its own deadline per request (it also takes an expired request out of the queue).
    return batched ? work : withDeadline(work, settings.timeoutMs);
  }

  private async runOn(
    session: ModelSession,
    batched: boolean,
    feeds: Record<string, Tensor>,
    outputNames?: string[],
  ): Promise<RunResult> {
    try {
      if (batched) return await this.batcher.submit(feeds, outputNames);
      const rows = rowsOf(feeds);
      const started = performance.now();
      const outputs = await session.run(feeds, outputNames);
      const inferMs = performance.now() - started;
      this.options.observe([0], inferMs, rows);
      return { outputs, queueMs: 0, inferMs, batchRows: rows };
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new DomainError(
        ModelErrorCode.InvalidInput,
        `ONNX Runtime rejected the input: ${describeOrtError(error)}`,
        { cause: error },
      );
    }
  }

  /** The cache as config.json currently describes it (rebuilt, empty, when that changes). */
  private responseCache(): ResponseCache | undefined {
    const settings = this.options.cacheSettings();
    if (!settings) return (this.cache = undefined);
    if (!this.cache?.matches(settings)) this.cache = new ResponseCache(settings);
    return this.cache;
  }

  /** Stops taking requests, waits for those in flight, then releases the session. */
  async unload(): Promise<void> {
    this.state = 'UNAVAILABLE';
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.drained = undefined;
    const session = this.session;
    this.session = undefined;
    this.cache = undefined;
    await session?.release();
  }
}

/** An ONNX Runtime error as a client may see it: the reason, without paths of ONNX Runtime's own build. */
export function describeOrtError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/\/onnxruntime_src\/\S+/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
}

/** The work's result, or inference_timeout once `timeoutMs` have passed. */
function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(inferenceTimeout()), timeoutMs);
  });
  work.catch(() => undefined); // settled after the deadline: nobody is waiting any more
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
