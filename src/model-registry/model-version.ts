import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { hasBatchDimension, Signature, signatureOf } from './signature';

export type VersionState = 'READY' | 'LOADING' | 'UNAVAILABLE' | 'FAILED';

export interface RunResult {
  outputs: Record<string, Tensor>;
  /** Milliseconds waiting before ONNX Runtime started on this request. */
  queueMs: number;
  /** Milliseconds in ONNX Runtime. */
  inferMs: number;
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

  constructor(
    readonly model: string,
    readonly version: number,
    readonly path: string,
  ) {}

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
      this.error = describeLoadError(error);
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

  async run(feeds: Record<string, Tensor>, outputNames?: string[]): Promise<RunResult> {
    const session = this.session;
    if (this.state !== 'READY' || !session) throw new Error(`${this.model} v${this.version} is not ready`);
    this.inFlight++;
    const started = performance.now();
    try {
      const outputs = await (outputNames ? session.run(feeds, outputNames) : session.run(feeds));
      return { outputs, queueMs: 0, inferMs: performance.now() - started };
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

function describeLoadError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // ONNX Runtime messages can name source files of its own build; keep the reason, not the path.
  return message
    .replace(/\/onnxruntime_src\/\S+/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
}
