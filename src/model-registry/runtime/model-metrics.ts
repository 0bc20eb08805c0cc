import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsService } from '../../observability/metrics.service';

const SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Per-model Prometheus metrics: queue time, inference time, batch size, queue depth and cache use. */
@Injectable()
export class ModelMetrics {
  private readonly queue: Histogram;
  private readonly inference: Histogram;
  private readonly batch: Histogram;
  private readonly cache: Counter;
  private depthSource: () => { model: string; version: string; depth: number }[] = () => [];

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    const labelNames = ['model', 'version'] as const;
    this.queue = new Histogram({
      name: 'model_queue_duration_seconds',
      help: 'Time requests wait before ONNX Runtime runs them',
      labelNames,
      buckets: SECONDS,
      registers,
    });
    this.inference = new Histogram({
      name: 'model_inference_duration_seconds',
      help: 'ONNX Runtime run time, per run',
      labelNames,
      buckets: SECONDS,
      registers,
    });
    this.batch = new Histogram({
      name: 'model_batch_size',
      help: 'Rows per ONNX Runtime run (requests stacked into one run count once)',
      labelNames,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.cache = new Counter({
      name: 'model_cache_requests_total',
      help: 'Requests to models with a response cache, by result (hit or miss)',
      labelNames: ['model', 'version', 'result'],
      registers,
    });
    const depth = () => this.depthSource();
    new Gauge({
      name: 'model_queue_depth',
      help: 'Requests waiting in the batching queue',
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const entry of depth()) this.set({ model: entry.model, version: entry.version }, entry.depth);
      },
    });
  }

  setDepthSource(source: () => { model: string; version: string; depth: number }[]): void {
    this.depthSource = source;
  }

  /** One run: each request's time in the queue, the run's time and its rows. */
  observe(model: string, version: string, queueMs: number[], inferMs: number, rows: number): void {
    const labels = { model, version };
    for (const ms of queueMs) this.queue.observe(labels, ms / 1000);
    this.inference.observe(labels, inferMs / 1000);
    this.batch.observe(labels, rows);
  }

  observeCache(model: string, version: string, hit: boolean): void {
    this.cache.inc({ model, version, result: hit ? 'hit' : 'miss' });
  }
}
