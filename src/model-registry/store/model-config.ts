import { plainToInstance, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
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

/** A traffic split: version number (as a string) → integer weight; the weights sum to 100. */
export interface TrafficSplit {
  versions: Record<string, number>;
}

export type AliasTarget = number | string | TrafficSplit;

/** A version's deprecation (RFC 9745) and sunset (RFC 8594), as ISO 8601 times. */
export class VersionLifecycleConfig {
  @IsOptional()
  @IsISO8601({ strict: true })
  deprecatedAt?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  sunsetAt?: string;

  /** Where callers read about the sunset (the `Link: <...>; rel="sunset"` target); default: the model's page. */
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  sunsetLink?: string;
}

export class ShadowConfig {
  @IsInt()
  @Min(1)
  version: number;

  /** The share of default-routed requests mirrored, 1-100. */
  @IsInt()
  @Min(1)
  @Max(100)
  percent: number;
}

/** `models/<name>/config.json`: everything optional. */
export class ModelConfig {
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  /**
   * Alias → version number, or a traffic split `{"versions": {"1": 90, "2": 10}}` (integer weights
   * summing to 100); `default` may also name another alias.
   */
  @IsOptional()
  @IsObject()
  aliases?: Record<string, AliasTarget>;

  /** Per version (`"1"`), its deprecation and sunset times. */
  @IsOptional()
  @IsObject()
  versions?: Record<string, VersionLifecycleConfig>;

  /** A version that also runs a share of the default-routed requests, after the caller is answered. */
  @IsOptional()
  @ValidateNested()
  @Type(() => ShadowConfig)
  shadow?: ShadowConfig;

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
    const valid =
      isVersionNumber(target) || isTrafficSplit(target) || (alias === 'default' && typeof target === 'string');
    if (!valid || !/^[a-z][a-z0-9_-]{0,31}$/.test(alias))
      throw new Error(`alias ${alias} -> ${JSON.stringify(target)} is not valid`);
  }
  const versions: Record<string, VersionLifecycleConfig> = {};
  for (const [version, lifecycle] of Object.entries(config.versions ?? {})) {
    if (!/^[1-9]\d{0,8}$/.test(version)) throw new Error(`versions: "${version}" is not a version number`);
    const parsed = plainToInstance(VersionLifecycleConfig, lifecycle as object);
    const errors = typeof lifecycle === 'object' && lifecycle !== null ? validateSync(parsed) : ['not an object'];
    if (errors.length > 0) throw new Error(`versions.${version}: ${errors.map(String).join('; ')}`);
    versions[version] = parsed;
  }
  if (config.versions) config.versions = versions;
  for (const [output, labels] of Object.entries(config.labels ?? {})) {
    if (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string')) {
      throw new Error(`labels for ${output} must be an array of strings`);
    }
  }
  return config;
}

/** `{"versions": {"1": 90, "2": 10}}`: version numbers to integer weights (0-100) summing to 100. */
export function isTrafficSplit(value: unknown): value is TrafficSplit {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { versions, ...rest } = value as { versions?: unknown };
  if (Object.keys(rest).length > 0 || typeof versions !== 'object' || versions === null || Array.isArray(versions))
    return false;
  const entries = Object.entries(versions as Record<string, unknown>);
  if (entries.length === 0 || entries.length > 20) return false;
  let sum = 0;
  for (const [version, weight] of entries) {
    if (!/^[1-9]\d{0,8}$/.test(version)) return false;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 100) return false;
    sum += weight;
  }
  return sum === 100;
}

export function isVersionNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}
