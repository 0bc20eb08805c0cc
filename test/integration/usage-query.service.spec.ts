import { TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/common/errors/domain.error';
import { UsageEventsRepository } from '../../src/usage/usage-events.repository';
import { UsageModule } from '../../src/usage/usage.module';
import { UsageQueryService } from '../../src/usage/usage-query.service';
import { HealthModule } from '../../src/health/health.module';
import { usageRowOf } from '../support/usage-event';
import { startTestModule } from '../support/test-module';
import { randomUUID } from 'node:crypto';

describe(UsageQueryService.name, () => {
  let module: TestingModule;
  let usage: UsageQueryService;
  const principalId = `spec-${randomUUID()}`;
  const hour = Date.UTC(2026, 0, 15, 10);
  const at = (minutes: number) => new Date(hour + minutes * 60_000).toISOString();

  beforeAll(async () => {
    module = await startTestModule([HealthModule, UsageModule]);
    usage = module.get(UsageQueryService);
    const repository = module.get(UsageEventsRepository);
    await repository.ensurePartitions(new Date(hour), 0);
    await repository.insertBatch([
      usageRowOf({ requestId: 'a', principalId, occurredAt: at(1), model: 'iris', latencyMs: 10 }),
      usageRowOf({
        requestId: 'b',
        principalId,
        occurredAt: at(2),
        model: 'iris',
        latencyMs: 20,
        status: 400,
        errorCode: 'invalid_input',
      }),
      usageRowOf({ requestId: 'c', principalId, occurredAt: at(70), model: 'mlp', latencyMs: 30 }),
    ]);
  });

  afterAll(async () => {
    await module.close();
  });

  const range = { from: at(0), to: at(120) };

  it('should aggregate the rollups by hour, model and status, with errors and p95', async () => {
    const report = await usage.getUsage({ ...range, granularity: 'hour', groupBy: 'model' }, { principalId });
    expect(report.items).toEqual([
      expect.objectContaining({
        bucket: new Date(hour).toISOString(),
        model: 'iris',
        requests: 2,
        errors: 1,
        avgLatencyMs: 15,
      }),
      expect.objectContaining({
        bucket: new Date(hour + 3_600_000).toISOString(),
        model: 'mlp',
        requests: 1,
        errors: 0,
      }),
    ]);
    expect(report.items[0].p95LatencyMs).toBeGreaterThanOrEqual(20);
    const byDay = await usage.getUsage({ ...range, granularity: 'day' }, { principalId });
    expect(byDay.items).toEqual([expect.objectContaining({ requests: 3, errors: 1 })]);
  });

  it('should leave out the models outside a restricted admin’s allow-list', async () => {
    const report = await usage.getUsage(
      { ...range, granularity: 'day', groupBy: 'model,principal' },
      { models: ['ir*'] },
    );
    expect(report.items.filter((item) => item.principalId === principalId).map((item) => item.model)).toEqual(['iris']);
  });

  it('should page through raw events in time order with a cursor, and stream them as CSV', async () => {
    const first = await usage.listEvents({ ...range, principalId, limit: 2 });
    expect(first.items.map((event) => event.requestId)).toEqual(['a', 'b']);
    const second = await usage.listEvents({ ...range, principalId, limit: 2, cursor: first.nextCursor! });
    expect(second).toMatchObject({ items: [expect.objectContaining({ requestId: 'c' })], nextCursor: null });
    let csv = '';
    for await (const chunk of usage.streamEventsCsv({ ...range, principalId, limit: 100 })) csv += String(chunk);
    const lines = csv.trim().split('\n');
    expect(lines[0].split(',')).toContain('requestId');
    expect(lines).toHaveLength(4);
  });

  it('should refuse a reversed or too long range', async () => {
    const refused = await usage
      .getUsage({ from: at(10), to: at(0), granularity: 'hour' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainError);
    const tooLong = await usage
      .getUsage({ from: '2020-01-01T00:00:00Z', to: '2022-01-01T00:00:00Z', granularity: 'day' })
      .catch((error: unknown) => error);
    expect((tooLong as DomainError).code).toBe('validation_failed');
  });
});
