import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { DomainError } from '../common/errors/domain.error';
import { Batcher, BatchSettings } from './batcher';
import { ModelErrorCode } from './model.errors';
import { hasBatchDimension, Signature, signatureOf } from './signature';

export type VersionState = 'READY' | 'LOADING' | 'UNAVAILABLE' | 'FAILED';

export interface RunResult {
  outputs: Record<string, Tensor>;
  /** Milliseconds waiting before ONNX Runtime started on this request. */
  queueMs: number;
  /** Milliseconds in ONNX Runtime. */
  inferMs: number;
  /** Rows in the ONNX Runtime run this request was part of. */
  batchRows?: number;
}

export interface VersionOptions {
  /** The model's current execution settings (config.json may change while the version serves). */
  settings(): BatchSettings;
  observe(queueMs: number, inferMs: number, rows: number): void;
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
  private session?: InferenceSession;
  private inFlight = 0;
  private drained?: () => void;
  private readonly batcher: Batcher;

  constructor(
    readonly model: string,
    readonly version: number,
    readonly path: string,
    private readonly options: VersionOptions,
  ) {
    this.batcher = new Batcher(() => this.session, options.settings, options.observe);
  }

  get queueDepth(): number {
    return this.batcher.depth;
  }

  get batchable(): boolean {
    return this.signature !== undefined && hasBatchDimension(this.signature);
  }

  /** Loads the session from the file; a failure leaves the version FAILED with the reason. */
  async load(options: InferenceSession.SessionOptions): Promise<void> {
    this.state = 'LOADING';
    this.error = undefined;
    try {
      const bytes = await readFile(this.path);
      await this.adopt(await InferenceSession.create(bytes, options), bytes);
    } catch (error) {
      this.state = 'FAILED';
      this.error = describeOrtError(error);
    }
  }

  /** Takes over a session already created from these bytes (an upload that was validated by loading it). */
  async adopt(session: InferenceSession, bytes: Uint8Array): Promise<void> {
    await this.session?.release();
    this.signature = signatureOf(session);
    this.session = session;
    this.sha256 = createHash('sha256').update(bytes).digest('hex');
    this.sizeBytes = bytes.byteLength;
    this.state = 'READY';
  }

  /** Runs the request, batched with others when the model allows it; ONNX Runtime errors become 400s. */
  async run(feeds: Record<string, Tensor>, outputNames?: string[]): Promise<RunResult> {
    const session = this.session;
    if (this.state !== 'READY' || !session) {
      throw new DomainError(ModelErrorCode.ModelNotReady, `${this.model} v${this.version} is not ready.`, {
        retryAfterSeconds: 5,
      });
    }
    this.inFlight++;
    try {
      if (this.batchable && this.options.settings().maxBatchSize > 1)
        return await this.batcher.submit(feeds, outputNames);
      const started = performance.now();
      const outputs = await (outputNames ? session.run(feeds, outputNames) : session.run(feeds));
      const inferMs = performance.now() - started;
      const rows = Number(Object.values(feeds)[0]?.dims[0] ?? 1);
      this.options.observe(0, inferMs, rows);
      return { outputs, queueMs: 0, inferMs, batchRows: rows };
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new DomainError(
        ModelErrorCode.InvalidInput,
        `ONNX Runtime rejected the input: ${describeOrtError(error)}`,
        { cause: error },
      );
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    }
  }

  /** Stops taking requests, waits for those in flight, then releases the session. */
  async unload(): Promise<void> {
    this.state = 'UNAVAILABLE';
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.drained = undefined;
    const session = this.session;
    this.session = undefined;
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
