import autocannon from 'autocannon';
import { ChildProcess } from 'node:child_process';
import { processTreeCpuSeconds } from './cpu';

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses received in all, warm-up included (for the usage event count). */
  responses: number;
  non2xx: number;
  errors: number;
  /** Server CPU (user + system, all its processes) per request, in microseconds. */
  cpuMicrosPerRequest: number;
}

export interface LoadSpec {
  url: string;
  body: string;
  headers?: Record<string, string>;
  connections: number;
  durationSeconds: number;
  server: ChildProcess;
}

/** Drives one endpoint with autocannon and measures the server's CPU over the same window. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const options = {
    url: spec.url,
    method: 'POST' as const,
    body: spec.body,
    headers: { 'content-type': 'application/json', ...spec.headers },
    connections: spec.connections,
    pipelining: 1,
  };
  const warmup = await autocannon({ ...options, duration: 2 }); // warm-up: JIT, sessions, caches
  const cpuBefore = processTreeCpuSeconds(spec.server.pid!);
  const result = await autocannon({ ...options, duration: spec.durationSeconds });
  const cpuSeconds = processTreeCpuSeconds(spec.server.pid!) - cpuBefore;
  const requests = result.requests.total;
  return {
    requestsPerSecond: requests / spec.durationSeconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests,
    responses: warmup.requests.total + requests,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuMicrosPerRequest: requests > 0 ? (cpuSeconds * 1e6) / requests : 0,
  };
}
