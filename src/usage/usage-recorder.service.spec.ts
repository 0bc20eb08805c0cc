import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigService } from '@nestjs/config';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { usageEvent } from '../../test/support/usage-event';
import type { Configuration } from '../config/configuration';
import type { ShutdownService } from '../lifecycle/shutdown.service';
import type { MetricsService } from '../observability/metrics.service';
import { eventOfUsageRow, usageRow } from './usage-event';
import type { UsageEventsRepository } from './usage-events.repository';
import { PROCESS_OWNER } from './usage-files';
import { UsageRecorder } from './usage-recorder.service';

/**
 * The events table as far as the recorder can tell: a write may commit and still fail (the
 * connection drops before the answer), and a write said to be of unwritten events must not meet one
 * already stored (the statement then has no conflict check).
 */
class EventsTable {
  readonly stored: string[] = [];
  readonly rows: string[] = [];
  readonly writes: { ids: string[]; unwritten: boolean }[] = [];
  failAfterCommit = false;
  hold?: Promise<void>;

  async insertBatch(rows: string[], { unwritten = false } = {}): Promise<void> {
    const events = rows.map(eventOfUsageRow);
    this.writes.push({ ids: events.map((event) => event.requestId), unwritten });
    await this.hold;
    for (const [index, { requestId }] of events.entries()) {
      if (!this.stored.includes(requestId)) {
        this.stored.push(requestId);
        this.rows.push(rows[index]);
      } else if (unwritten) throw new Error(`duplicate key ${requestId}`);
    }
    if (this.failAfterCommit) {
      this.failAfterCommit = false;
      throw new Error('connection lost after the commit');
    }
  }
}

const event = (requestId: string) => usageEvent({ requestId });

describe(UsageRecorder.name, () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  const recorder = (
    table: EventsTable,
    settings: { batchSize: number; bufferMaxEvents: number; journalDir?: string },
  ) => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'usage-recorder-'));
    dirs.push(spoolDir);
    const config = { get: () => ({ ...settings, spoolDir, flushIntervalMs: 1000 }) };
    const created = new UsageRecorder(
      table as unknown as UsageEventsRepository,
      config as unknown as ConfigService<Configuration, true>,
      { registerFlushHook: () => undefined } as unknown as ShutdownService,
      { registry: new Registry() } as unknown as MetricsService,
    );
    const spooled = () =>
      readdirSync(spoolDir).flatMap((name) =>
        readFileSync(join(spoolDir, name), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => eventOfUsageRow(line).requestId),
      );
    return { recorder: created, spooled };
  };

  it('should send again as maybe written what a failed write may have stored, and only that', async () => {
    const table = new EventsTable();
    const { recorder: usage } = recorder(table, { batchSize: 2, bufferMaxEvents: 100 });
    ['a', 'b', 'c'].forEach((id) => usage.record(event(id)));
    table.failAfterCommit = true;
    await usage.flush(true);
    await usage.flush(true);
    usage.record(event('d'));
    await usage.flush(true);
    expect(table.writes).toEqual([
      { ids: ['a', 'b'], unwritten: true },
      { ids: ['a', 'b'], unwritten: false },
      { ids: ['c'], unwritten: true },
      { ids: ['d'], unwritten: true },
    ]);
    expect(table.stored).toEqual(['a', 'b', 'c', 'd']);
  });

  it('should lose nothing when the buffer overflows while a write is in flight', async () => {
    const table = new EventsTable();
    const { recorder: usage, spooled } = recorder(table, { batchSize: 3, bufferMaxEvents: 5 });
    ['1', '2', '3', '4'].forEach((id) => usage.record(event(id)));
    let release!: () => void;
    table.hold = new Promise((resolve) => (release = resolve));
    const writing = usage.flush(true);
    ['5', '6', '7', '8'].forEach((id) => usage.record(event(id))); // 8 > 5: the oldest 3 go to the spool
    expect(spooled()).toEqual(['1', '2', '3']);
    release();
    await writing; // what was due of the buffer, then the spool (its events found written: skipped)
    expect([...table.stored].sort()).toEqual(['1', '2', '3', '4']);
    expect(table.writes.at(-1)).toEqual({ ids: ['1', '2', '3'], unwritten: false });
    expect(usage.backlog).toBe(4);
    await usage.flush(true); // the events recorded during the write
    expect([...table.stored].sort()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    expect(usage.backlog).toBe(0);
  });

  it('should leave events recorded during a write to the next flush, which a flush called meanwhile waits for, and drain them all at shutdown', async () => {
    const table = new EventsTable();
    const { recorder: usage } = recorder(table, { batchSize: 2, bufferMaxEvents: 100 });
    ['a', 'b', 'c'].forEach((id) => usage.record(event(id)));
    let release!: () => void;
    table.hold = new Promise((resolve) => (release = resolve));
    const writing = usage.flush(true);
    ['d', 'e'].forEach((id) => usage.record(event(id)));
    const next = usage.flush(true); // called during the write: waits for it, then writes d and e
    release();
    await writing;
    await next;
    // The first flush stopped at c (with batches of 2 it would have written c and d together).
    expect(table.writes.map((write) => write.ids)).toEqual([['a', 'b'], ['c'], ['d', 'e']]);
    expect(usage.backlog).toBe(0);
    usage.record(event('e2'));
    expect(usage.backlog).toBe(1);
    table.hold = new Promise((resolve) => (release = resolve));
    const draining = usage.drain();
    await Promise.resolve();
    usage.record(event('f')); // a call finishing while the last write is in flight
    release();
    await draining;
    expect(table.stored).toEqual(['a', 'b', 'c', 'd', 'e', 'e2', 'f']);
    expect(usage.backlog).toBe(0);
  });

  describe('with the journal', () => {
    const journalDir = () => {
      const dir = mkdtempSync(join(tmpdir(), 'usage-journal-'));
      dirs.push(dir);
      return dir;
    };
    const journaled = (dir: string) =>
      readdirSync(dir).flatMap((name) =>
        readFileSync(join(dir, name), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => eventOfUsageRow(line).requestId),
      );
    const turn = () => new Promise((resolve) => setImmediate(resolve));

    it('should let a response go only once its event is in the journal, one write per turn', async () => {
      const dir = journalDir();
      const { recorder: usage } = recorder(new EventsTable(), { batchSize: 10, bufferMaxEvents: 100, journalDir: dir });
      const released: string[] = [];
      for (const id of ['a', 'b', 'c']) usage.record(event(id), () => released.push(id));
      expect(released).toEqual([]);
      expect(journaled(dir)).toEqual([]);
      await turn();
      expect(released).toEqual(['a', 'b', 'c']);
      expect(journaled(dir)).toEqual(['a', 'b', 'c']);
      expect(readdirSync(dir)).toHaveLength(1);
    });

    it('should delete a segment once every event in it is written, and keep it while one is not', async () => {
      const dir = journalDir();
      const table = new EventsTable();
      const { recorder: usage } = recorder(table, { batchSize: 2, bufferMaxEvents: 100, journalDir: dir });
      ['a', 'b', 'c'].forEach((id) => usage.record(event(id)));
      await turn();
      table.failAfterCommit = true; // a and b are stored, but the recorder cannot know
      await usage.flush(true);
      expect(journaled(dir)).toEqual(['a', 'b', 'c']);
      usage.record(event('d'));
      await turn();
      expect(journaled(dir).sort()).toEqual(['a', 'b', 'c', 'd']);
      await usage.flush(true);
      expect(table.stored).toEqual(['a', 'b', 'c', 'd']);
      await usage.flush(true); // rotates past the segment of d, now written
      expect(journaled(dir)).toEqual([]);
    });

    it('should replay the journal of a process that stopped, and leave a running one’s alone', async () => {
      const dir = journalDir();
      const table = new EventsTable();
      // A segment written by a process that is gone (pid 1 of another boot) and one by a live one (us).
      const dead = `journal-deadbeef0000.1.12345-0badf00d-1.jsonl`;
      const live = `journal-${PROCESS_OWNER}-cafebabe-1.jsonl`;
      writeFileSync(join(dir, dead), `${usageRow(event('orphan-1'))}\n${usageRow(event('orphan-2'))}\n["2026-12-0`);
      writeFileSync(join(dir, live), `${usageRow(event('live-1'))}\n`);
      const { recorder: usage } = recorder(table, { batchSize: 10, bufferMaxEvents: 100, journalDir: dir });
      await usage.flush(true);
      expect(table.stored).toEqual(['orphan-1', 'orphan-2']);
      expect(readdirSync(dir)).toEqual([live]);
    });

    it('should replay journals of the versions that wrote event objects, not rows', async () => {
      const dir = journalDir();
      const table = new EventsTable();
      const { protocol: _protocol, ...beforeProtocols } = event('oldest');
      writeFileSync(
        join(dir, `journal-deadbeef0000.1.12345-0badf00d-2.jsonl`),
        `${JSON.stringify(beforeProtocols)}\n${JSON.stringify(event('old'))}\n${usageRow(event('new'))}\n{"cut sh`,
      );
      const { recorder: usage } = recorder(table, { batchSize: 10, bufferMaxEvents: 100, journalDir: dir });
      await usage.flush(true);
      expect(table.stored).toEqual(['oldest', 'old', 'new']);
      const [oldest] = table.rows;
      expect(eventOfUsageRow(oldest)).toEqual({ ...beforeProtocols, protocol: null });
    });

    it('should keep serving when the journal cannot be written, with the events in memory', async () => {
      const dir = journalDir();
      const table = new EventsTable();
      const { recorder: usage } = recorder(table, { batchSize: 10, bufferMaxEvents: 100, journalDir: dir });
      rmSync(dir, { recursive: true, force: true });
      writeFileSync(dir, 'not a directory'); // appends now fail
      const released: string[] = [];
      usage.record(event('x'), () => released.push('x'));
      await turn();
      expect(released).toEqual(['x']);
      await usage.flush(true);
      expect(table.stored).toEqual(['x']);
      usage.record(event('y'), () => released.push('y'));
      await turn();
      await usage.flush(true);
      expect(table.stored).toEqual(['x', 'y']);
    });
  });
});
