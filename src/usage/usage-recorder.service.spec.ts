import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigService } from '@nestjs/config';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { usageEvent } from '../../test/support/usage-event';
import type { Configuration } from '../config/configuration';
import type { ShutdownService } from '../lifecycle/shutdown.service';
import type { MetricsService } from '../observability/metrics.service';
import { RecordedUsageEvent } from './usage-event';
import type { UsageEventsRepository } from './usage-events.repository';
import { UsageRecorder } from './usage-recorder.service';

/**
 * The events table as far as the recorder can tell: a write may commit and still fail (the
 * connection drops before the answer), and a write said to be of unwritten events must not meet one
 * already stored (the statement then has no conflict check).
 */
class EventsTable {
  readonly stored: string[] = [];
  readonly writes: { ids: string[]; unwritten: boolean }[] = [];
  failAfterCommit = false;
  hold?: Promise<void>;

  async insertBatch(events: RecordedUsageEvent[], { unwritten = false } = {}): Promise<void> {
    this.writes.push({ ids: events.map((event) => event.requestId), unwritten });
    await this.hold;
    for (const { requestId } of events) {
      if (!this.stored.includes(requestId)) this.stored.push(requestId);
      else if (unwritten) throw new Error(`duplicate key ${requestId}`);
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

  const recorder = (table: EventsTable, settings: { batchSize: number; bufferMaxEvents: number }) => {
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
          .map((line) => (JSON.parse(line) as RecordedUsageEvent).requestId),
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
    await writing; // the rest of the buffer, then the spool (its events found written: skipped)
    expect([...table.stored].sort()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    expect(table.writes.at(-1)).toEqual({ ids: ['1', '2', '3'], unwritten: false });
    expect(usage.backlog).toBe(0);
  });
});
