import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Tensor } from 'onnxruntime-node';
import { Counter } from 'prom-client';
import { Configuration } from '../../config/configuration';
import { ShutdownService } from '../../lifecycle/shutdown.service';
import { MetricsService } from '../../observability/metrics.service';
import { BUCKETS, bucketOf } from '../../usage/latency-histogram';
import { ModelRegistry } from '../model-registry.service';
import { compareOutputs } from './shadow-compare';
import { ShadowStats, ShadowStatsRepository } from './shadow-stats.repository';

/** A request the caller has been answered for, to run again on the shadow version. */
export interface ShadowJob {
  model: string;
  primaryVersion: number;
  shadowVersion: number;
  feeds: Record<string, Tensor>;
  outputNames?: string[];
  primaryOutputs: Record<string, Tensor>;
  /** The primary's queue + run time, ms (what the shadow's is compared with). */
  primaryMs: number;
}

/**
 * Runs shadow traffic: jobs handed over after the caller's response was sent (the protocol adapters call
 * `CallContext.afterResponse`), queued in a small bounded queue of their own (a full queue drops the job
 * and counts it), run one at a time on the shadow version, compared with the primary's outputs and
 * added to per-minute figures that are written to PostgreSQL in one statement per flush. Shadow runs are
 * never metered nor counted toward any limit: they do not go through the data plane.
 */
@Injectable()
export class ShadowRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ShadowRunner.name);
  private readonly queue: ShadowJob[] = [];
  private readonly stats = new Map<string, ShadowStats>();
  private readonly dropped: Counter;
  private readonly completed: Counter;
  private running = false;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private readonly drainNext = () => void this.drain();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly repository: ShadowStatsRepository,
    private readonly config: ConfigService<Configuration, true>,
    metrics: MetricsService,
    shutdown: ShutdownService,
  ) {
    this.dropped = new Counter({
      name: 'modelgate_shadow_dropped_total',
      help: 'Shadow runs dropped because the shadow queue was full',
      labelNames: ['model'] as const,
      registers: [metrics.registry],
    });
    this.completed = new Counter({
      name: 'modelgate_shadow_runs_total',
      help: 'Shadow runs done, by outcome (ok, error)',
      labelNames: ['model', 'outcome'] as const,
      registers: [metrics.registry],
    });
    shutdown.registerFlushHook('shadow figures', () => this.flush());
  }

  private get settings() {
    return this.config.get('models', { infer: true });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), this.settings.shadowFlushIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Whether no shadow job is waiting or running. */
  get idle(): boolean {
    return !this.running && this.queue.length === 0;
  }

  /** Queues a job; when the queue is full, drops it and counts it. Never throws, never waits. */
  submit(job: ShadowJob): void {
    if (this.queue.length >= this.settings.shadowQueueSize) {
      this.dropped.inc({ model: job.model });
      return;
    }
    this.queue.push(job);
    if (!this.running) {
      this.running = true;
      setImmediate(this.drainNext);
    }
  }

  private async drain(): Promise<void> {
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) await this.runOne(job);
    } finally {
      this.running = false;
    }
  }

  private async runOne(job: ShadowJob): Promise<void> {
    const stats = this.statsOf(job);
    stats.requests++;
    stats.primaryHistogram[bucketOf(job.primaryMs)]++;
    const entry = this.registry.get(job.model);
    const version = entry?.versions.get(job.shadowVersion);
    try {
      if (!entry || !version || version.state !== 'READY') throw new Error('the shadow version is not ready');
      const result = await version.run(job.feeds, job.outputNames);
      stats.shadowHistogram[bucketOf(result.queueMs + result.inferMs)]++;
      const comparison = compareOutputs(job.primaryOutputs, result.outputs, entry.config.labels ?? {});
      stats.comparedRows += comparison.comparedRows;
      stats.agreedRows += comparison.agreedRows;
      stats.differenceSum += comparison.differenceSum;
      stats.differenceCount += comparison.differenceCount;
      this.completed.inc({ model: job.model, outcome: 'ok' });
    } catch (error) {
      stats.errors++;
      this.completed.inc({ model: job.model, outcome: 'error' });
      this.logger.debug(`Shadow run of ${job.model} v${job.shadowVersion} failed: ${String(error)}`);
    }
  }

  private statsOf(job: ShadowJob): ShadowStats {
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const key = `${minute.getTime()}|${job.model}|${job.primaryVersion}|${job.shadowVersion}`;
    let stats = this.stats.get(key);
    if (!stats) {
      stats = {
        minute,
        model: job.model,
        primaryVersion: job.primaryVersion,
        shadowVersion: job.shadowVersion,
        requests: 0,
        errors: 0,
        comparedRows: 0,
        agreedRows: 0,
        differenceSum: 0,
        differenceCount: 0,
        primaryHistogram: new Array<number>(BUCKETS).fill(0),
        shadowHistogram: new Array<number>(BUCKETS).fill(0),
      };
      this.stats.set(key, stats);
    }
    return stats;
  }

  /**
   * Writes the figures gathered so far (one statement); on failure they are merged back and retried at
   * the next flush. Concurrent calls share one write.
   */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.stats.size === 0) return;
    const batch = [...this.stats.values()];
    this.stats.clear();
    try {
      await this.repository.add(batch);
    } catch (error) {
      this.logger.warn({ err: error }, 'Writing shadow figures failed; retrying at the next flush');
      for (const stats of batch) this.mergeBack(stats);
    }
  }

  private mergeBack(stats: ShadowStats): void {
    const key = `${stats.minute.getTime()}|${stats.model}|${stats.primaryVersion}|${stats.shadowVersion}`;
    const current = this.stats.get(key);
    if (!current) return void this.stats.set(key, stats);
    current.requests += stats.requests;
    current.errors += stats.errors;
    current.comparedRows += stats.comparedRows;
    current.agreedRows += stats.agreedRows;
    current.differenceSum += stats.differenceSum;
    current.differenceCount += stats.differenceCount;
    for (let i = 0; i < BUCKETS; i++) {
      current.primaryHistogram[i] += stats.primaryHistogram[i];
      current.shadowHistogram[i] += stats.shadowHistogram[i];
    }
  }
}
