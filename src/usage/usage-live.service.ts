import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Configuration } from '../config/configuration';
import { LiveRow, UsageQueryRepository } from './usage-query.repository';

/** One second of traffic, across every instance and worker process. */
export interface LiveFrame {
  /** The start of the second, ISO 8601. */
  at: string;
  models: LiveRow[];
}

interface Subscriber {
  accepts: (model: string) => boolean;
  send: (frame: LiveFrame) => void;
}

/**
 * The live view of traffic (`/v1/admin/usage/live`): each second, requests, errors and p95 latency per
 * model version for one second, read from the usage events every instance and worker process writes, so
 * it covers them all. The second shown is the latest whose events are all written: `USAGE_FLUSH_INTERVAL_MS`
 * plus a second behind now. One query per second per process, however many subscribers; none when
 * nobody watches. Nothing is added to the request path.
 */
@Injectable()
export class UsageLiveService implements OnApplicationShutdown {
  private readonly logger = new Logger(UsageLiveService.name);
  private readonly subscribers = new Set<Subscriber>();
  private timer?: NodeJS.Timeout;
  private ticking = false;
  /** The start of the last second sent (ms): each second is sent once, none skipped, whatever the timer's drift. */
  private lastSent?: number;

  constructor(
    private readonly repository: UsageQueryRepository,
    private readonly config: ConfigService<Configuration, true>,
  ) {}

  /** Sends `send` a frame each second, of the models `accepts` lets through; returns the unsubscribe. */
  subscribe(accepts: (model: string) => boolean, send: (frame: LiveFrame) => void): () => void {
    const subscriber = { accepts, send };
    this.subscribers.add(subscriber);
    this.timer ??= setInterval(() => void this.tick(), 1000);
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  /** How far behind now the second shown is, in milliseconds. */
  get lagMs(): number {
    return Math.ceil(this.config.get('usage', { infer: true }).flushIntervalMs / 1000) * 1000 + 1000;
  }

  /** The frame of the second starting at `start` (exposed for tests). */
  async frame(start: Date): Promise<LiveFrame> {
    const models = await this.repository.liveWindow(start, new Date(start.getTime() + 1000));
    return { at: start.toISOString(), models };
  }

  onApplicationShutdown(): void {
    this.subscribers.clear();
    this.stop();
  }

  private async tick(): Promise<void> {
    if (this.ticking) return; // a slow query skips a second rather than piling up
    this.ticking = true;
    try {
      const latest = Math.floor((Date.now() - this.lagMs) / 1000) * 1000 - 1000;
      const first = this.lastSent === undefined ? latest : Math.max(this.lastSent + 1000, latest - 4000);
      for (let start = first; start <= latest; start += 1000) {
        const frame = await this.frame(new Date(start));
        this.lastSent = start;
        for (const subscriber of this.subscribers) {
          subscriber.send({ at: frame.at, models: frame.models.filter((row) => subscriber.accepts(row.model)) });
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'Reading the live usage failed; retrying next second');
    } finally {
      this.ticking = false;
    }
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.lastSent = undefined;
  }
}
