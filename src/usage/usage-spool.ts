import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { claimFiles, FileOwner, replayFiles } from './usage-files';

/**
 * Events that could not stay in memory (the database is down and the buffer is full, or the process
 * is stopping without a database) wait here, one usage row (usage-event.ts) per line, until they can
 * be written. Replaying is
 * idempotent: events already stored are skipped (see UsageEventsRepository.insertBatch).
 */
export class UsageSpool {
  private readonly dir: string;
  private readonly file: string;

  constructor(
    dir: string,
    private readonly owner: FileOwner,
  ) {
    this.dir = resolve(dir);
    this.file = join(this.dir, owner.fileName('spool'));
  }

  /** Appends synchronously: used on overflow and at shutdown, where the events must be on disk before going on. */
  append(rows: string[]): void {
    if (rows.length === 0) return;
    mkdirSync(this.dir, { recursive: true });
    appendFileSync(this.file, rows.join('\n') + '\n');
  }

  /**
   * Claims this recorder's spool files and those a stopped process left (see claimFiles), hands their
   * events to `write` in chunks, and deletes each once written.
   */
  async replay(write: (rows: string[]) => Promise<void>, chunkSize: number): Promise<number> {
    return replayFiles(await claimFiles(this.dir, this.owner, true), write, chunkSize);
  }
}
