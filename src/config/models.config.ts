import { Transform } from 'class-transformer';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { toInteger } from './env';

export class ModelsEnv {
  /** The model repository: models/<name>/<version>/model.onnx plus optional models/<name>/config.json. */
  @IsString()
  MODEL_REPOSITORY = './models';

  /** How often the repository is re-scanned for added or removed versions; 0 disables. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  MODEL_RESCAN_INTERVAL_MS = 5000;

  /** Largest model upload (PUT /v1/admin/models/{name}/versions/{version}), in bytes. */
  @Transform(toInteger)
  @IsInt()
  @Min(1024)
  MODEL_MAX_UPLOAD_BYTES = 256 * 1024 * 1024;

  /** Largest tensor a request may send, in elements. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  MAX_TENSOR_ELEMENTS = 1_000_000;

  /** How long a request may wait for its model (queue and run) before it fails (inference_timeout). */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  INFERENCE_TIMEOUT_MS = 30_000;

  /** ONNX Runtime intra-op threads per session; 0 shares the cores out between the worker processes. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(256)
  ORT_INTRA_OP_THREADS = 0;

  /**
   * Worker threads per model version, each owning a session, for models whose config.json does not
   * say; 0 runs models on the event loop (a long run then holds up every request of its process).
   */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(64)
  MODEL_WORKER_THREADS = 1;

  /**
   * Shadow runs waiting per process (PUT /v1/admin/models/{name}/shadow); a mirrored request that finds
   * the queue full is dropped and counted (modelgate_shadow_dropped_total).
   */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(100_000)
  SHADOW_QUEUE_SIZE = 64;

  /** How often each process writes its shadow comparison figures to the database. */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  SHADOW_FLUSH_INTERVAL_MS = 2000;
}

export interface ModelsConfig {
  repository: string;
  rescanIntervalMs: number;
  maxUploadBytes: number;
  maxTensorElements: number;
  intraOpThreads: number;
  workerThreads: number;
  inferenceTimeoutMs: number;
  shadowQueueSize: number;
  shadowFlushIntervalMs: number;
}

export function toModelsConfig(env: ModelsEnv): ModelsConfig {
  return {
    repository: env.MODEL_REPOSITORY,
    rescanIntervalMs: env.MODEL_RESCAN_INTERVAL_MS,
    maxUploadBytes: env.MODEL_MAX_UPLOAD_BYTES,
    maxTensorElements: env.MAX_TENSOR_ELEMENTS,
    intraOpThreads: env.ORT_INTRA_OP_THREADS,
    workerThreads: env.MODEL_WORKER_THREADS,
    inferenceTimeoutMs: env.INFERENCE_TIMEOUT_MS,
    shadowQueueSize: env.SHADOW_QUEUE_SIZE,
    shadowFlushIntervalMs: env.SHADOW_FLUSH_INTERVAL_MS,
  };
}
