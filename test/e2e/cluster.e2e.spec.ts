import { get } from 'node:http';
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/credentials';
import { status } from '@grpc/grpc-js';
import { GrpcTestClient } from '../support/grpc-client';
import { freePort, startServerProcess } from '../support/server-process';

const withRealPostgres = process.env.DATABASE_URL ? describe : describe.skip;

/** A GET on a fresh connection: the cluster hands each new connection to the next worker. */
function getOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    }).on('error', reject);
  });
}

withRealPostgres('Cluster of worker processes', () => {
  it('should serve from every worker and report their metrics summed', async () => {
    const server = await startServerProcess({
      DATABASE_URL: process.env.DATABASE_URL!,
      WORKERS: '2',
      BOOTSTRAP_ADMIN_KEY: 'false',
      LOG_LEVEL: 'info',
    });
    try {
      // Fresh connections until both workers have served some (the second may still be starting).
      const servedBy = () =>
        new Set(
          server
            .output()
            .split('\n')
            .filter((line) => line.includes('"route":"/v1/models"'))
            .map((line) => (JSON.parse(line) as { pid: number }).pid),
        );
      let requests = 0;
      const deadline = Date.now() + 60_000;
      while (requests < 20 || servedBy().size < 2) {
        expect(Date.now(), 'both workers should serve requests').toBeLessThan(deadline);
        expect(await getOnNewConnection(`${server.url}/v1/models`)).toBe(401);
        requests++;
        if (requests >= 20 && servedBy().size < 2) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // The access log is written after the response: wait until every request has its line.
      const logged = () =>
        server
          .output()
          .split('\n')
          .filter((line) => line.includes('"route":"/v1/models"')).length;
      await eventually(() => Promise.resolve(logged() === requests), 10_000);
      // ...and /metrics, whichever worker answers it, counts all of them.
      for (let i = 0; i < 2; i++) {
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        const count =
          /http_request_duration_seconds_count\{method="GET",route="\/v1\/models",status_code="401"\} (\d+)/.exec(
            metrics,
          )?.[1];
        expect(Number(count)).toBe(requests);
      }
    } finally {
      await server.stop();
    }
  });

  it('should serve gRPC from every worker too', async () => {
    const port = await freePort();
    const server = await startServerProcess({
      DATABASE_URL: process.env.DATABASE_URL!,
      WORKERS: '2',
      BOOTSTRAP_ADMIN_KEY: 'false',
      LOG_LEVEL: 'info',
      GRPC_PORT: String(port),
      GRPC_HOST: '127.0.0.1',
    });
    try {
      const servedBy = () =>
        new Set(
          server
            .output()
            .split('\n')
            .filter((line) => line.includes('"route":"/inference.GRPCInferenceService/ModelMetadata"'))
            .map((line) => (JSON.parse(line) as { pid: number }).pid),
        );
      // A new channel (a new connection) each time: the cluster hands connections to the workers in turn.
      await eventually(async () => {
        const client = new GrpcTestClient(`127.0.0.1:${port}`);
        const { error } = await client.call('ModelMetadata', { name: 'iris' });
        client.close();
        expect(error?.code).toBe(status.UNAUTHENTICATED);
        return servedBy().size === 2;
      }, 30_000);
    } finally {
      await server.stop();
    }
  });
});
