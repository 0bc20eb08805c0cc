import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RecordedUsageEvent } from './usage-event';

/**
 * Events that could not stay in memory (the database is down and the buffer is full, or the process
 * is stopping without a database) wait here as JSON lines until they can be written. Replaying is
 * idempotent: events already stored are skipped (see UsageEventsRepository.insertBatch).
 */
export class UsageSpool {
  private readonly dir: string;
  private readonly file: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.file = join(this.dir, `spool-${process.pid}-${randomUUID()}.jsonl`);
  }

  /** Appends synchronously: used on overflow and at shutdown, where the events must be on disk before going on. */
  append(events: RecordedUsageEvent[]): void {
    if (events.length === 0) return;
    mkdirSync(this.dir, { recursive: true });
    appendFileSync(this.file, events.map((event) => JSON.stringify(event)).join('\n') + '\n');
  }

  /**
   * Claims every spool file (this instance's and any left by a stopped one) by renaming it, hands
   * its events to `write` in chunks, and deletes it once written. A failure puts the file back.
   */
  async replay(write: (events: RecordedUsageEvent[]) => Promise<void>, chunkSize: number): Promise<number> {
    let replayed = 0;
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((name) => name.endsWith('.jsonl'));
    } catch {
      return 0;
    }
    for (const name of names) {
      const claimed = join(this.dir, `${name}.replaying-${randomUUID()}`);
      try {
        await rename(join(this.dir, name), claimed);
      } catch {
        continue; // another instance claimed it
      }
      try {
        const events = (await readFile(claimed, 'utf8'))
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as RecordedUsageEvent);
        for (let start = 0; start < events.length; start += chunkSize)
          await write(events.slice(start, start + chunkSize));
        await rm(claimed);
        replayed += events.length;
      } catch (error) {
        await rename(claimed, join(this.dir, name)).catch(() => undefined);
        throw error;
      }
    }
    return replayed;
  }
}
