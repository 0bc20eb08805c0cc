import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, MoreThan, Repository } from 'typeorm';
import { Configuration } from '../config/configuration';
import { afterCommit, joined } from '../database/transaction';
import { ChangeEventEntity, ChangeEventKind } from './change-event.entity';

/** `id` orders events: a later change to the same `ref` has a higher id. */
export type ChangeListener = (kind: ChangeEventKind, ref: string, id: string) => void;

const RETENTION_MS = 24 * 3600_000;

/**
 * The change feed: publishes changes every instance must apply (credential changes, model loads and
 * unloads; see ChangeEventEntity). `publish` appends to the feed; a poller on each instance reads what
 * is new and notifies the listeners (the key and token caches, the model registry).
 */
@Injectable()
export class ChangeFeedService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ChangeFeedService.name);
  private readonly listeners: ChangeListener[] = [];
  private lastSeen = '0';
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    @InjectRepository(ChangeEventEntity) private readonly events: Repository<ChangeEventEntity>,
    private readonly config: ConfigService<Configuration, true>,
  ) {}

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /**
   * Records a change and applies it to this instance at once (inside a transaction: once it commits,
   * so nothing reloads what is not yet there); resolves to the event's id.
   */
  async publish(kind: ChangeEventKind, ref: string): Promise<string> {
    const { identifiers } = await joined(this.events).insert({ kind, ref });
    const id = String(identifiers[0].id);
    afterCommit(() => this.notify(kind, ref, id));
    return id;
  }

  async onApplicationBootstrap(): Promise<void> {
    const latest = await this.events.find({ order: { id: 'DESC' }, take: 1 });
    this.lastSeen = latest[0]?.id ?? '0';
    await this.events.delete({ createdAt: LessThan(new Date(Date.now() - RETENTION_MS)) });
    const interval = this.config.get('auth', { infer: true }).credentialPollIntervalMs;
    this.timer = setInterval(() => void this.poll(), interval);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Reads events newer than the last one seen (called on an interval; exposed for tests). */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const fresh = await this.events.find({
        where: { id: MoreThan(this.lastSeen) },
        order: { id: 'ASC' },
        take: 1000,
      });
      for (const event of fresh) this.notify(event.kind, event.ref, event.id);
      if (fresh.length > 0) this.lastSeen = fresh[fresh.length - 1].id;
    } catch (error) {
      this.logger.warn({ err: error }, 'Polling credential changes failed; retrying');
    } finally {
      this.polling = false;
    }
  }

  private notify(kind: ChangeEventKind, ref: string, id: string): void {
    for (const listener of this.listeners) listener(kind, ref, id);
  }
}
