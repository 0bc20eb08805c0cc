import { Tensor } from 'onnxruntime-node';
import { DomainError } from '../../common/errors/domain.error';
import type { ModelSession } from './model-session';
import { ModelErrorCode } from '../model.errors';

export interface RunResult {
  outputs: Record<string, Tensor>;
  /** Milliseconds waiting before ONNX Runtime started on this request. */
  queueMs: number;
  /** Milliseconds in ONNX Runtime. */
  inferMs: number;
  /** Rows in the ONNX Runtime run this request was part of. */
  batchRows?: number;
  /** Answered from the response cache (no run). */
  cached?: boolean;
}

export interface BatchSettings {
  /** Rows per run; 1 turns batching off. */
  maxBatchSize: number;
  /** How long the first queued request may wait for others to join its batch. */
  maxQueueDelayMicros: number;
  /** Requests waiting at most; beyond, 503 queue_full. */
  maxQueueSize: number;
  /** How long a request may wait for its answer (queue and run) before it fails with inference_timeout. */
  timeoutMs: number;
}

interface Pending {
  feeds: Record<string, Tensor>;
  rows: number;
  outputNames?: string[];
  enqueuedAt: number;
  resolve(result: RunResult): void;
  reject(error: unknown): void;
  timer?: NodeJS.Timeout;
}

type Data = Tensor['data'];

/**
 * Dynamic batching for one model version: concurrent requests are stacked along the batch axis, run
 * once and split back. As many batches are in flight as the session takes (two per worker thread, one
 * on the event loop); while they run the next batch gathers by itself. A batch leaves when it is full,
 * or at the end of the event loop turn that queued its requests once the first of them has waited
 * `maxQueueDelayMicros` (at once with 0).
 */
export class Batcher {
  private readonly queue: Pending[] = [];
  private running = 0;
  private delayTimer?: NodeJS.Timeout;
  private turnEnd?: NodeJS.Immediate;

  constructor(
    private readonly session: () => ModelSession | undefined,
    private readonly settings: () => BatchSettings,
    /** Once per run: each request's time in the queue, the run's time and rows. */
    private readonly observe: (queueMs: number[], inferMs: number, rows: number) => void,
  ) {}

  get depth(): number {
    return this.queue.length;
  }

  submit(feeds: Record<string, Tensor>, outputNames?: string[]): Promise<RunResult> {
    const settings = this.settings();
    if (this.queue.length >= settings.maxQueueSize) {
      return Promise.reject(
        new DomainError(ModelErrorCode.QueueFull, 'The model is at capacity; retry shortly.', { retryAfterSeconds: 1 }),
      );
    }
    return new Promise<RunResult>((resolve, reject) => {
      const pending: Pending = {
        feeds,
        rows: rowsOf(feeds),
        outputNames,
        enqueuedAt: performance.now(),
        resolve,
        reject,
      };
      pending.timer = setTimeout(() => this.expire(pending), settings.timeoutMs);
      this.queue.push(pending);
      // Requests read in the same turn of the event loop join one batch: a batch leaves at the end of the
      // turn (or at once when full), not with the first request while the rest are still being read.
      if (this.queue.length >= settings.maxBatchSize) this.schedule();
      else
        this.turnEnd ??= setImmediate(() => {
          this.turnEnd = undefined;
          this.schedule();
        });
    });
  }

  /** Fails what is queued (the version is being unloaded). */
  rejectAll(error: unknown): void {
    for (const pending of this.queue.splice(0)) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
  }

  /** The request's deadline passed: out of the queue if it is still there; its answer is dropped. */
  private expire(pending: Pending): void {
    const index = this.queue.indexOf(pending);
    if (index >= 0) this.queue.splice(index, 1);
    if (this.queue.length === 0) {
      clearTimeout(this.delayTimer);
      this.delayTimer = undefined;
    }
    pending.reject(inferenceTimeout());
  }

  private schedule(): void {
    if (this.running >= (this.session()?.concurrency ?? 1) || this.queue.length === 0) return;
    const { maxBatchSize, maxQueueDelayMicros } = this.settings();
    const queuedRows = this.queue.reduce((sum, pending) => sum + pending.rows, 0);
    const waitedMicros = (performance.now() - this.queue[0].enqueuedAt) * 1000;
    if (queuedRows < maxBatchSize && waitedMicros < maxQueueDelayMicros) {
      this.delayTimer ??= setTimeout(
        () => {
          this.delayTimer = undefined;
          this.schedule();
        },
        Math.max(0, (maxQueueDelayMicros - waitedMicros) / 1000),
      );
      this.delayTimer.unref();
      return;
    }
    clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    const batch = this.take(maxBatchSize);
    this.running++;
    void this.run(batch).finally(() => {
      this.running--;
      // Let the requests that arrived during the run reach the queue before the next batch forms.
      setImmediate(() => this.schedule());
    });
    // Another thread may be free for what is still queued.
    if (this.queue.length > 0) this.schedule();
  }

  /** The oldest requests whose rows fit together and whose non-batch dimensions agree. */
  private take(maxBatchSize: number): Pending[] {
    const batch = [this.queue.shift()!];
    let rows = batch[0].rows;
    while (
      this.queue.length > 0 &&
      rows + this.queue[0].rows <= maxBatchSize &&
      compatible(batch[0].feeds, this.queue[0].feeds)
    ) {
      const next = this.queue.shift()!;
      rows += next.rows;
      batch.push(next);
    }
    return batch;
  }

  private async run(batch: Pending[]): Promise<void> {
    const session = this.session();
    const started = performance.now();
    try {
      if (!session)
        throw new DomainError(ModelErrorCode.ModelNotReady, 'The model was unloaded.', { retryAfterSeconds: 5 });
      const feeds = batch.length === 1 ? batch[0].feeds : stack(batch.map((pending) => pending.feeds));
      const outputs = await session.run(feeds);
      const inferMs = performance.now() - started;
      let offset = 0;
      const totalRows = batch.reduce((sum, pending) => sum + pending.rows, 0);
      const queued = batch.map((pending) => started - pending.enqueuedAt);
      this.observe(queued, inferMs, totalRows);
      batch.forEach((pending, index) => {
        const selected = pending.outputNames ?? Object.keys(outputs);
        const own: Record<string, Tensor> = {};
        for (const name of selected)
          own[name] = batch.length === 1 ? outputs[name] : rowsSlice(outputs[name], offset, pending.rows);
        offset += pending.rows;
        clearTimeout(pending.timer);
        pending.resolve({ outputs: own, queueMs: queued[index], inferMs, batchRows: totalRows });
      });
    } catch (error) {
      for (const pending of batch) {
        clearTimeout(pending.timer);
        pending.reject(error);
      }
    }
  }
}

/** Rows of a request: the first input's first dimension (1 for a scalar). */
export function rowsOf(feeds: Record<string, Tensor>): number {
  const first = Object.values(feeds)[0];
  return first && first.dims.length > 0 ? Number(first.dims[0]) : 1;
}

function compatible(a: Record<string, Tensor>, b: Record<string, Tensor>): boolean {
  return Object.keys(a).every((name) => {
    const left = a[name].dims;
    const right = b[name]?.dims;
    return (
      right !== undefined &&
      left.length === right.length &&
      left.every((size, axis) => axis === 0 || size === right[axis])
    );
  });
}

/** Concatenates each input along axis 0. */
function stack(requests: Record<string, Tensor>[]): Record<string, Tensor> {
  const stacked: Record<string, Tensor> = {};
  for (const name of Object.keys(requests[0])) {
    const parts = requests.map((feeds) => feeds[name]);
    const rows = parts.reduce((sum, tensor) => sum + Number(tensor.dims[0]), 0);
    const dims = [rows, ...parts[0].dims.slice(1)];
    stacked[name] = new Tensor(parts[0].type, concat(parts.map((tensor) => tensor.data)), dims);
  }
  return stacked;
}

function concat(parts: Data[]): Data {
  if (Array.isArray(parts[0])) return (parts as string[][]).flat();
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const Constructor = (
    parts[0] as unknown as {
      constructor: new (length: number) => Data & { set(source: ArrayLike<unknown>, offset: number): void };
    }
  ).constructor;
  const out = new Constructor(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Rows [offset, offset + rows) of a tensor whose first axis is the batch. */
function rowsSlice(tensor: Tensor, offset: number, rows: number): Tensor {
  const rowSize = tensor.dims.slice(1).reduce((product, size) => product * Number(size), 1);
  const data = tensor.data;
  return new Tensor(tensor.type, data.slice(offset * rowSize, (offset + rows) * rowSize), [
    rows,
    ...tensor.dims.slice(1),
  ]);
}

/** The answer to a request that waited past INFERENCE_TIMEOUT_MS (in the queue or for its run). */
export function inferenceTimeout(): DomainError {
  return new DomainError(ModelErrorCode.InferenceTimeout, 'The model took too long to answer; retry shortly.', {
    retryAfterSeconds: 1,
  });
}
