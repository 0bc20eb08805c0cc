import { get } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startServerProcess } from '../support/server-process';

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
      const requests = 20;
      for (let i = 0; i < requests; i++) expect(await getOnNewConnection(`${server.url}/v1/models`)).toBe(401);
      // Both workers served some of the requests (each access-log line names its process)...
      const servedBy = new Set(
        server
          .output()
          .split('\n')
          .filter((line) => line.includes('"route":"/v1/models"'))
          .map((line) => (JSON.parse(line) as { pid: number }).pid),
      );
      expect(servedBy.size).toBe(2);
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
});
