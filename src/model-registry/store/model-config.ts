import { plainToInstance, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
  validateSync,
} from 'class-validator';

export class BatchingConfig {
  @IsInt()
  @Min(1)
  @Max(4096)
  maxBatchSize: number = 1;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  maxQueueDelayMicros: number = 0;
}

/** ONNX Runtime session options for the model (applied when a version loads). */
export class SessionConfig {
  /** Threads one run may use; default: the cores shared out between the server processes. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(256)
  intraOpThreads?: number;

  /** Threads for running independent graph nodes in parallel (executionMode "parallel"). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(256)
  interOpThreads?: number;

  @IsOptional()
  @IsIn(['disabled', 'basic', 'extended', 'all'])
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';

  @IsOptional()
  @IsIn(['sequential', 'parallel'])
  executionMode?: 'sequential' | 'parallel';
}

/** A response cache for models whose outputs depend only on their inputs (off unless configured). */
export class CacheConfig {
  /** Distinct inputs remembered, least recently used dropped first. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  maxEntries: number;

  /** How long an answer may be reused; 0 keeps it until it is pushed out. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(31_536_000)
  ttlSeconds?: number;
}

/** `models/<name>/config.json`: everything optional. */
export class ModelConfig {
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  /** Alias → version number; `default` may also name another alias. */
  @IsOptional()
  @IsObject()
  aliases?: Record<string, number | string>;

  /** Output name → class labels, in output order. */
  @IsOptional()
  @IsObject()
  labels?: Record<string, string[]>;

  @IsOptional()
  @ValidateNested()
  @Type(() => BatchingConfig)
  batching?: BatchingConfig;

  @IsOptional()
  @IsInt()
  @Min(1)
  maxQueueSize?: number;

  /** Worker threads running the model, each with its own session; 0 runs it on the event loop. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(64)
  workerThreads?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => SessionConfig)
  session?: SessionConfig;

  @IsOptional()
  @ValidateNested()
  @Type(() => CacheConfig)
  cache?: CacheConfig;
}

/** Parses and validates a config.json text; throws with the reasons when it is not valid. */
export function parseModelConfig(text: string | undefined): ModelConfig {
  if (text === undefined) return new ModelConfig();
  const config = plainToInstance(ModelConfig, JSON.parse(text) as object);
  const errors = validateSync(config);
  if (errors.length > 0) throw new Error(errors.map((error) => error.toString()).join('; '));
  for (const [alias, target] of Object.entries(config.aliases ?? {})) {
    const valid = alias === 'default' ? typeof target === 'string' || isVersionNumber(target) : isVersionNumber(target);
    if (!valid || !/^[a-z][a-z0-9_-]{0,31}$/.test(alias))
      throw new Error(`alias ${alias} -> ${String(target)} is not valid`);
  }
  for (const [output, labels] of Object.entries(config.labels ?? {})) {
    if (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string')) {
      throw new Error(`labels for ${output} must be an array of strings`);
    }
  }
  return config;
}

export function isVersionNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}
