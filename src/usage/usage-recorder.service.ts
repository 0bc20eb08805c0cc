import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Counter, Gauge } from 'prom-client';
import { Configuration } from '../config/configuration';
import { ShutdownService } from '../lifecycle/shutdown.service';
import { MetricsService } from '../observability/metrics.service';
import { RecordedUsageEvent, usageRow } from './usage-event';
import { UsageEventsRepository } from './usage-events.repository';
import { claimFiles, FileOwner, replayFiles } from './usage-files';
import { UsageJournal } from './usage-journal';
import { UsageSpool } from './usage-spool';

const MAX_BACKOFF_MS = 30_000;
/** How often a running instance looks for journals that stopped processes left behind. */
const ORPHAN_SCAN_INTERVAL_MS = 5_000;
const JOURNAL_WARNING_INTERVAL_MS = 60_000;

/**
 * The usage pipeline. `record` never waits for the database: with the journal on (the default) the
 * event is appended to the local journal (usage-journal.ts) at the end of the event loop's turn, one
 * write for every event of the turn, and `journaled` is called after, before the response goes out;
 * then it joins the buffer. A loop writes the buffer in batches; while PostgreSQL is down the events
 * stay in memory up to USAGE_BUFFER_MAX_EVENTS, then overflow to the spool file, and are written after
 * recovery. On shutdown everything is flushed, or spooled when the database cannot take it. A process
 * killed outright leaves its journal, which the next start (or a running instance, within
 * ORPHAN_SCAN_INTERVAL_MS) replays: an answered request is metered whatever stops the process, short
 * of losing the machine's disk (README, "Usage and limits").
 */
@Injectable()
export class UsageRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UsageRecorder.name);
  /** Events as usage rows (usage-event.ts), serialized once: the journal's lines, the batches' rows. */
  private buffer: string[] = [];
  private readonly owner = new FileOwner();
  private readonly spool: UsageSpool;
  private readonly journal?: UsageJournal;
  /** Events of this turn, waiting for their journal write; their callbacks, and the lines. */
  private pending: string[] = [];
  private pendingCallbacks: (() => void)[] = [];
  private pendingText = '';
  private readonly commitPending = () => this.commit();
  private nextOrphanScan = 0;
  private lastJournalWarning = 0;
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
    this.spool = new UsageSpool(this.settings.spoolDir, this.owner);
    if (this.settings.journalDir) this.journal = new UsageJournal(this.settings.journalDir, this.owner);
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

  /**
   * Records one metered request. `journaled` (the response may go out) is called once the event is on
   * disk, at the end of this event loop turn; without a journal, at once.
   */
  record(event: RecordedUsageEvent, journaled?: () => void): void {
    const row = usageRow(event);
    if (!this.journal) {
      this.buffer.push(row);
      this.trimBuffer();
      journaled?.();
      return;
    }
    if (this.pending.length === 0) setImmediate(this.commitPending);
    this.pending.push(row);
    this.pendingText += `${row}\n`;
    if (journaled) this.pendingCallbacks.push(journaled);
  }

  /** Writes this turn's events to the journal (one write), moves them to the buffer, lets their responses go. */
  private commit(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    const callbacks = this.pendingCallbacks;
    try {
      this.journal!.append(this.pendingText, rows.length);
    } catch (error) {
      // A full or broken disk: the events stay in memory (as with no journal), and the responses go out.
      this.journal!.unjournaled(rows.length);
      const now = Date.now();
      if (now - this.lastJournalWarning > JOURNAL_WARNING_INTERVAL_MS) {
        this.lastJournalWarning = now;
        this.logger.warn({ err: error }, 'Appending to the usage journal failed; events are kept in memory only');
      }
    }
    this.pending = [];
    this.pendingCallbacks = [];
    this.pendingText = '';
    for (const row of rows) this.buffer.push(row);
    this.trimBuffer();
    for (const callback of callbacks) callback();
  }

  private trimBuffer(): void {
    if (this.buffer.length > this.bufferMaxEvents)
      this.spoolEvents(this.shift(this.buffer.length - this.bufferMaxEvents));
  }

  /** Takes `count` events off the head of the buffer (written, or about to be spooled). */
  private shift(count: number): string[] {
    this.shifted += count;
    this.maybeWritten = Math.max(0, this.maybeWritten - count);
    this.journal?.written(count);
    return this.buffer.splice(0, count);
  }

  async onApplicationBootstrap(): Promise<void> {
    // A tick while a flush runs is skipped: what it would write waits for the next one.
    this.timer = setInterval(() => void (this.flushing ?? this.flush()), this.settings.flushIntervalMs);
    this.timer.unref();
    this.spooled = true; // replay whatever a previous run left behind
    await this.flush();
  }

  /** The journal's directory, when there is a journal (tests and the health details read it). */
  get journalDirectory(): string | undefined {
    return this.journal?.directory;
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * Writes what is buffered now (and replays the spool) unless backing off (`force` writes anyway).
   * A flush running already writes only what was buffered when it began, so this waits for it, then
   * starts (or joins) the next one: events recorded before the call are written when it resolves.
   */
  async flush(force = false): Promise<void> {
    if (this.flushing) await this.flushing;
    if (!force && Date.now() < this.nextAttemptAt) return;
    this.flushing ??= this.writeAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Shutdown: write everything; what the database cannot take goes to the spool file. */
  async drain(): Promise<void> {
    clearInterval(this.timer);
    this.commit();
    // A flush (after the one running, if any) writes what was buffered at the call: go on while events
    // remain and writing succeeds.
    for (let before = -1; this.buffer.length > 0 && this.shifted !== before;) {
      before = this.shifted;
      await this.flush(true);
    }
    if (this.buffer.length > 0) {
      this.logger.warn(`PostgreSQL unavailable at shutdown: spooling ${this.buffer.length} usage events`);
      this.spoolEvents(this.shift(this.buffer.length));
    }
    this.journal?.close();
  }

  private async writeAll(): Promise<void> {
    const { batchSize } = this.settings;
    // What is journaled from now on goes to a new segment; the ones closed are deleted once written.
    this.journal?.rotate();
    try {
      // What was buffered when the flush began: events recorded meanwhile wait for the next interval, so
      // that under load a flush is a few full batches, not a stream of small ones written back to back
      // (each statement and commit costs PostgreSQL the same whatever its size).
      let due = this.buffer.length;
      while (due > 0 && this.buffer.length > 0) {
        const batch = this.buffer.slice(0, Math.min(batchSize, due));
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
        due -= batch.length;
      }
      if (this.spooled) {
        const replayed = await this.spool.replay((rows) => this.repository.insertBatch(rows), batchSize);
        this.spooled = false;
        if (replayed > 0) this.logger.log(`Replayed ${replayed} spooled usage events`);
      }
      if (this.journal && Date.now() >= this.nextOrphanScan) {
        const orphans = await claimFiles(this.journal.directory, this.owner, false);
        const replayed = await replayFiles(orphans, (rows) => this.repository.insertBatch(rows), batchSize);
        this.nextOrphanScan = Date.now() + ORPHAN_SCAN_INTERVAL_MS;
        if (replayed > 0) this.logger.log(`Replayed ${replayed} usage events from the journal of a stopped process`);
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

  private spoolEvents(rows: string[]): void {
    this.spool.append(rows);
    this.spooled = true;
    this.spooledCounter.inc(rows.length);
  }
}
