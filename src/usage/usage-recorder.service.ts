import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Counter, Gauge } from 'prom-client';
import { Configuration } from '../config/configuration';
import { ShutdownService } from '../lifecycle/shutdown.service';
import { MetricsService } from '../observability/metrics.service';
import { RecordedUsageEvent } from './usage-event';
import { UsageEventsRepository } from './usage-events.repository';
import { UsageSpool } from './usage-spool';

const MAX_BACKOFF_MS = 30_000;

/**
 * The usage pipeline. `record` is O(1) and never waits: it appends to a buffer. A loop writes the
 * buffer in batches; while PostgreSQL is down the events stay in memory up to USAGE_BUFFER_MAX_EVENTS,
 * then overflow to the spool file, and are written after recovery. On shutdown everything is flushed,
 * or spooled when the database cannot take it, so no event is lost.
 */
@Injectable()
export class UsageRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UsageRecorder.name);
  private buffer: RecordedUsageEvent[] = [];
  private readonly spool: UsageSpool;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private failures = 0;
  private nextAttemptAt = 0;
  private spooled = false;
  private readonly written: Counter;
  private readonly spooledCounter: Counter;
  private readonly bufferMaxEvents: number;
  /** Events taken off the head of the buffer so far (written, or spooled when it overflowed). */
  private shifted = 0;
  /** Events at the head of the buffer that a failed write may have stored all the same. */
  private maybeWritten = 0;

  constructor(
    private readonly repository: UsageEventsRepository,
    private readonly config: ConfigService<Configuration, true>,
    shutdown: ShutdownService,
    metrics: MetricsService,
  ) {
    this.spool = new UsageSpool(this.settings.spoolDir);
    this.bufferMaxEvents = this.settings.bufferMaxEvents;
    shutdown.registerFlushHook('usage events', () => this.drain());
    this.written = new Counter({
      name: 'usage_events_written_total',
      help: 'Usage events written to PostgreSQL',
      registers: [metrics.registry],
    });
    this.spooledCounter = new Counter({
      name: 'usage_events_spooled_total',
      help: 'Usage events written to the spool file',
      registers: [metrics.registry],
    });
    const buffered = () => this.buffer.length;
    new Gauge({
      name: 'usage_events_buffered',
      help: 'Usage events waiting in memory',
      registers: [metrics.registry],
      collect() {
        this.set(buffered());
      },
    });
  }

  private get settings() {
    return this.config.get('usage', { infer: true });
  }

  get backlog(): number {
    return this.buffer.length;
  }

  get degraded(): boolean {
    return this.failures > 0;
  }

  record(event: RecordedUsageEvent): void {
    this.buffer.push(event);
    if (this.buffer.length > this.bufferMaxEvents)
      this.spoolEvents(this.shift(this.buffer.length - this.bufferMaxEvents));
  }

  /** Takes `count` events off the head of the buffer. */
  private shift(count: number): RecordedUsageEvent[] {
    this.shifted += count;
    this.maybeWritten = Math.max(0, this.maybeWritten - count);
    return this.buffer.splice(0, count);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.timer = setInterval(() => void this.flush(), this.settings.flushIntervalMs);
    this.timer.unref();
    this.spooled = true; // replay whatever a previous run left behind
    await this.flush();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Writes what is buffered (and replays the spool) unless a flush is running or backing off. */
  flush(force = false): Promise<void> {
    if (!force && Date.now() < this.nextAttemptAt) return Promise.resolve();
    this.flushing ??= this.writeAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Shutdown: write everything; what the database cannot take goes to the spool file. */
  async drain(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush(true);
    if (this.buffer.length > 0) {
      this.logger.warn(`PostgreSQL unavailable at shutdown: spooling ${this.buffer.length} usage events`);
      this.spoolEvents(this.shift(this.buffer.length));
    }
  }

  private async writeAll(): Promise<void> {
    const { batchSize } = this.settings;
    try {
      while (this.buffer.length > 0) {
        const batch = this.buffer.slice(0, batchSize);
        const shiftedBefore = this.shifted;
        try {
          await this.repository.insertBatch(batch, { unwritten: this.maybeWritten === 0 });
        } catch (error) {
          // The database may have committed before the failure reached us: these go again as maybe written.
          this.maybeWritten = Math.max(this.maybeWritten, batch.length - (this.shifted - shiftedBefore));
          throw error;
        }
        // Overflow may have spooled some of the batch meanwhile (a replay will find them written).
        this.shift(Math.max(0, batch.length - (this.shifted - shiftedBefore)));
        this.written.inc(batch.length);
      }
      if (this.spooled) {
        const replayed = await this.spool.replay((events) => this.repository.insertBatch(events), batchSize);
        this.spooled = false;
        if (replayed > 0) this.logger.log(`Replayed ${replayed} spooled usage events`);
      }
      if (this.failures > 0) this.logger.log('Usage events are being written again');
      this.failures = 0;
      this.nextAttemptAt = 0;
    } catch (error) {
      this.failures++;
      const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.failures, 7));
      this.nextAttemptAt = Date.now() + backoff;
      this.logger.warn(
        { err: error, backlog: this.buffer.length },
        `Writing usage events failed; retrying in ${backoff} ms`,
      );
    }
  }

  private spoolEvents(events: RecordedUsageEvent[]): void {
    this.spool.append(events);
    this.spooled = true;
    this.spooledCounter.inc(events.length);
  }
}
