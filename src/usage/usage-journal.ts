import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FileOwner } from './usage-files';

interface Segment {
  path: string;
  fd?: number;
  /** Events appended to the segment and not yet written to PostgreSQL (nor spooled). */
  unwritten: number;
}

/**
 * The usage journal: every metered request's event is appended here before its response is sent, so a
 * process killed outright (SIGKILL, the OOM killer, a crash) leaves its unwritten events on disk, and
 * the next process to start (or any running one, within seconds) replays them. Appends are plain
 * `write`s into the page cache: they survive the process, not the machine (no fsync; see README).
 *
 * The journal is a FIFO of segment files. The recorder rotates to a new segment before each batch it
 * writes and reports written events in order; a segment whose every event is in PostgreSQL is deleted,
 * so the journal holds about one flush interval of traffic.
 */
export class UsageJournal {
  private readonly dir: string;
  private readonly segments: Segment[] = [];

  constructor(
    dir: string,
    private readonly owner: FileOwner,
  ) {
    this.dir = resolve(dir);
    mkdirSync(this.dir, { recursive: true });
  }

  get directory(): string {
    return this.dir;
  }

  /** Appends `count` events' JSON lines to the open segment, synchronously (one write per call). */
  append(text: string, count: number): void {
    let segment = this.segments.at(-1);
    if (segment?.fd === undefined) {
      const path = join(this.dir, this.owner.fileName('journal'));
      segment = { path, fd: openSync(path, 'a'), unwritten: 0 };
      this.segments.push(segment);
    }
    writeSync(segment.fd!, text);
    segment.unwritten += count;
  }

  /**
   * `count` events joined the buffer without reaching the journal (a failed append): they are counted
   * in order like the others, in a segment with no file.
   */
  unjournaled(count: number): void {
    this.rotate();
    this.segments.push({ path: '', unwritten: count });
  }

  /** Closes the open segment: what is appended next goes to a new one. */
  rotate(): void {
    const segment = this.segments.at(-1);
    if (segment?.fd === undefined) return;
    closeSync(segment.fd);
    segment.fd = undefined;
    this.release();
  }

  /** The oldest `count` journaled events are in PostgreSQL (or the spool) now. */
  written(count: number): void {
    for (const segment of this.segments) {
      if (count <= 0) break;
      const taken = Math.min(count, segment.unwritten);
      segment.unwritten -= taken;
      count -= taken;
    }
    this.release();
  }

  /** Closes the journal; a segment with events still unwritten stays for the next start to replay. */
  close(): void {
    this.rotate();
    for (const segment of this.segments.splice(0)) {
      if (segment.path && segment.unwritten === 0) rmSync(segment.path, { force: true });
    }
  }

  /** Deletes closed segments, oldest first, whose events are all written. */
  private release(): void {
    while (this.segments.length > 0 && this.segments[0].fd === undefined && this.segments[0].unwritten === 0) {
      const { path } = this.segments.shift()!;
      if (path) rmSync(path, { force: true });
    }
  }
}
