import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ExecutionSettings } from './runtime/model-session';
import { intraOpThreads } from '../config/processes';
import { Configuration } from '../config/configuration';
import { ModelConfig, parseModelConfig } from './store/model-config';
import { ModelMetrics } from './runtime/model-metrics';
import { ModelRepository } from './store/model-store';
import { ModelVersion } from './runtime/model-version';

const DEFAULT_MAX_QUEUE_SIZE = 256;

export interface ModelEntry {
  name: string;
  config: ModelConfig;
  configMtimeMs?: number;
  versions: Map<number, ModelVersion>;
}

/**
 * The models being served: what the repository holds, kept in step by a re-scan on an interval. A new
 * version is loaded and becomes servable; a version that fails to load is FAILED and replaces nothing;
 * a removed version is unloaded once its in-flight requests finish.
 */
@Injectable()
export class ModelRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ModelRegistry.name);
  private readonly models = new Map<string, ModelEntry>();
  /** Versions an admin unloaded: the re-scan leaves them unloaded. */
  private readonly pinnedUnloaded = new Set<string>();
  /** Versions deleted whose directory a scan may still have listed (see `delete`). */
  private readonly deleted = new Set<string>();
  /** Versions uploaded since the current scan began (see scan). */
  private readonly registeredDuringScan = new Set<ModelVersion>();
  private readonly listeners: (() => void)[] = [];
  private timer?: NodeJS.Timeout;
  private scanning?: Promise<void>;
  initialScanDone = false;

  constructor(
    private readonly repository: ModelRepository,
    private readonly config: ConfigService<Configuration, true>,
    private readonly metrics: ModelMetrics,
  ) {
    metrics.setDepthSource(() =>
      this.list().flatMap((entry) =>
        [...entry.versions.values()].map((version) => ({
          model: entry.name,
          version: String(version.version),
          depth: version.queueDepth,
        })),
      ),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.rescan();
    this.initialScanDone = true;
    const interval = this.config.get('models', { infer: true }).rescanIntervalMs;
    if (interval > 0) {
      this.timer = setInterval(() => void this.rescan(), interval);
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.scanning;
    await Promise.all(
      [...this.models.values()].flatMap((entry) => [...entry.versions.values()].map((version) => version.unload())),
    );
  }

  /** Called whenever models, versions, states or configs change (the OpenAPI document listens). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  notifyChange(): void {
    for (const listener of this.listeners) listener();
  }

  list(): ModelEntry[] {
    return [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): ModelEntry | undefined {
    return this.models.get(name);
  }

  /** How versions of `name` execute: its config.json over the platform defaults. */
  execution(name: string): ExecutionSettings {
    const models = this.config.get('models', { infer: true });
    const config = this.models.get(name)?.config ?? new ModelConfig();
    const session = config.session ?? {};
    const threads = intraOpThreads({
      app: this.config.get('app', { infer: true }),
      database: this.config.get('database', { infer: true }),
      models,
    });
    return {
      workerThreads: config.workerThreads ?? models.workerThreads,
      session: {
        graphOptimizationLevel: session.graphOptimizationLevel ?? 'all',
        intraOpNumThreads: session.intraOpThreads ?? threads,
        ...(session.interOpThreads ? { interOpNumThreads: session.interOpThreads } : {}),
        ...(session.executionMode ? { executionMode: session.executionMode } : {}),
      },
    };
  }

  /** Re-reads the repository; concurrent calls share one scan. */
  rescan(): Promise<void> {
    this.scanning ??= this.scan().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  /** A version object for `name`, wired to the model's current settings and to the metrics. */
  newVersion(name: string, version: number): ModelVersion {
    const entry = this.entry(name);
    const timeoutMs = this.config.get('models', { infer: true }).inferenceTimeoutMs;
    return new ModelVersion(name, version, this.repository.modelPath(name, version), {
      settings: () => ({
        maxBatchSize: entry.config.batching?.maxBatchSize ?? 1,
        maxQueueDelayMicros: entry.config.batching?.maxQueueDelayMicros ?? 0,
        maxQueueSize: entry.config.maxQueueSize ?? DEFAULT_MAX_QUEUE_SIZE,
        timeoutMs,
      }),
      cacheSettings: () => entry.config.cache,
      observe: (queueMs, inferMs, rows) => this.metrics.observe(name, String(version), queueMs, inferMs, rows),
      observeCache: (hit) => this.metrics.observeCache(name, String(version), hit),
    });
  }

  /** Adds a version that is already loaded (an upload), replacing nothing. */
  register(name: string, version: ModelVersion): void {
    const entry = this.entry(name);
    entry.versions.set(version.version, version);
    this.pinnedUnloaded.delete(versionKey(name, version.version));
    this.deleted.delete(versionKey(name, version.version));
    this.registeredDuringScan.add(version);
    this.notifyChange();
  }

  async unload(version: ModelVersion): Promise<void> {
    this.pinnedUnloaded.add(versionKey(version.model, version.version));
    await version.unload();
    this.notifyChange();
  }

  async load(version: ModelVersion): Promise<void> {
    this.pinnedUnloaded.delete(versionKey(version.model, version.version));
    await version.load(this.execution(version.model));
    this.notifyChange();
  }

  /**
   * Deletes a version: its files go first, and until a scan no longer finds them the scan does not load
   * the version again (a scan that listed the directory just before could otherwise bring it back).
   */
  async delete(version: ModelVersion, removeFiles: () => Promise<void>): Promise<void> {
    this.deleted.add(versionKey(version.model, version.version));
    await removeFiles();
    await this.remove(version);
  }

  async remove(version: ModelVersion): Promise<void> {
    const entry = this.models.get(version.model);
    entry?.versions.delete(version.version);
    if (entry && entry.versions.size === 0) this.models.delete(version.model);
    await version.unload();
    this.notifyChange();
  }

  private async scan(): Promise<void> {
    let changed = false;
    // An upload registered while this scan runs may be missing from its listing: it is not "gone".
    this.registeredDuringScan.clear();
    try {
      const found = await this.repository.scan();
      for (const deleted of [...this.deleted]) {
        const { name, version } = parseVersionKey(deleted);
        if (!found.get(name)?.includes(version)) this.deleted.delete(deleted);
      }
      for (const [name, versions] of found) {
        changed = (await this.refreshConfig(name)) || changed;
        const entry = this.entry(name);
        const loads = versions
          .filter((version) => !entry.versions.has(version) && !this.deleted.has(versionKey(name, version)))
          .map(async (version) => {
            const modelVersion = this.newVersion(name, version);
            entry.versions.set(version, modelVersion);
            if (this.pinnedUnloaded.has(versionKey(name, version))) modelVersion.state = 'UNAVAILABLE';
            else await modelVersion.load(this.execution(name));
            this.logLoad(modelVersion);
          });
        changed = changed || loads.length > 0;
        await Promise.all(loads);
      }
      for (const entry of [...this.models.values()]) {
        for (const version of [...entry.versions.values()]) {
          if (!found.get(entry.name)?.includes(version.version) && !this.registeredDuringScan.has(version)) {
            this.logger.log(
              `${entry.name} v${version.version} left the repository; unloading after in-flight requests`,
            );
            await this.remove(version);
            changed = true;
          }
        }
      }
    } catch (error) {
      this.logger.error({ err: error }, 'Scanning the model repository failed');
    }
    if (changed) this.notifyChange();
  }

  /**
   * Re-reads a model's config.json now (its aliases, splits, shadow or deprecations changed: announced on
   * the change feed, so every instance applies it within the feed's poll interval).
   */
  async reloadConfig(name: string): Promise<void> {
    if (!this.models.has(name)) return;
    if (await this.refreshConfig(name, true)) this.notifyChange();
  }

  /** Re-reads config.json when it changed (or `force`); a broken config keeps the previous one. */
  private async refreshConfig(name: string, force = false): Promise<boolean> {
    const entry = this.entry(name);
    const file = await this.repository.readConfig(name);
    if (!force && file?.mtimeMs === entry.configMtimeMs) return false;
    entry.configMtimeMs = file?.mtimeMs;
    try {
      entry.config = parseModelConfig(file?.text);
      return true;
    } catch (error) {
      this.logger.error(`models/${name}/config.json is not valid (keeping the previous one): ${String(error)}`);
      return false;
    }
  }

  private entry(name: string): ModelEntry {
    let entry = this.models.get(name);
    if (!entry) {
      entry = { name, config: new ModelConfig(), versions: new Map() };
      this.models.set(name, entry);
    }
    return entry;
  }

  private logLoad(version: ModelVersion): void {
    if (version.state === 'FAILED')
      this.logger.error(`${version.model} v${version.version} failed to load: ${version.error}`);
    else this.logger.log(`${version.model} v${version.version} is ${version.state}`);
  }
}

/** A version as one string, `name/version` (also how the change feed names it). */
export function versionKey(name: string, version: number): string {
  return `${name}/${version}`;
}

export function parseVersionKey(key: string): { name: string; version: number } {
  const [name, version] = key.split('/');
  return { name, version: Number(version) };
}
