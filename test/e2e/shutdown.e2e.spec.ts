import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { ProbeEvents, ProbeModule } from '../support/probe.module';
import { startTestApp } from '../support/test-app';

describe('Graceful shutdown', () => {
  it('should finish in-flight requests, then run flush hooks, then close the database', async () => {
    ProbeEvents.log = [];
    const server = await startTestApp({}, { imports: [ProbeModule] });
    const dataSource = server.app.get<DataSource>(getDataSourceToken());

    const inFlight = fetch(`${server.url}/v1/probe/slow`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // What the SIGTERM handler runs (enableShutdownHooks calls app.close()).
    const closing = server.close();

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    await closing;

    expect(ProbeEvents.log).toEqual(['slow-request-finished', 'flush-hook-ran']);
    expect(dataSource.isInitialized).toBe(false);
    await expect(fetch(`${server.url}/health/live`)).rejects.toThrow();
  });
});
