import autocannon from 'autocannon';
import { ChildProcess, execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
  body: string | Buffer;
  headers?: Record<string, string>;
  connections: number;
  durationSeconds: number;
  server: ChildProcess;
  /** Drive `warmupSeconds` first and leave them out (JIT, sessions, caches, heaps); default true. */
  warmup?: boolean;
  warmupSeconds: number;
  /** A gRPC call (`body` is one length-prefixed message), driven by h2load over HTTP/2. */
  grpc?: boolean;
}

export type LoadGenerator = 'wrk' | 'autocannon';

/** wrk when it is installed (written in C, it leaves more of the machine to the server), else autocannon. */
export function chooseLoadGenerator(requested = process.env.BENCH_LOAD_GENERATOR): LoadGenerator {
  if (requested === 'autocannon' || requested === 'wrk') return requested;
  return spawnSync('wrk', ['--version']).error ? 'autocannon' : 'wrk';
}

/** Whether h2load (Debian's nghttp2-client) is there to drive gRPC. */
export function hasH2load(): boolean {
  return !spawnSync('h2load', ['--version']).error;
}

interface Sample {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

type Driver = (spec: LoadSpec, durationSeconds: number) => Promise<Sample>;

/** Drives one endpoint (after a warm-up) and measures the server's CPU over the same window. */
export async function runLoad(spec: LoadSpec, generator: LoadGenerator): Promise<LoadResult> {
  const drive: Driver = spec.grpc ? driveH2load : generator === 'wrk' ? driveWrk : driveAutocannon;
  const warmup = spec.warmup === false ? undefined : await drive(spec, spec.warmupSeconds);
  const cpuBefore = processTreeCpuSeconds(spec.server.pid!);
  const sample = await drive(spec, spec.durationSeconds);
  const cpuSeconds = processTreeCpuSeconds(spec.server.pid!) - cpuBefore;
  return loadResult(
    sample,
    spec.durationSeconds,
    (warmup?.requests ?? 0) + sample.requests,
    cpuSeconds,
    sample.requests,
  );
}

/** A measurement's figures; the server's CPU is per request of the `cpuRequests` it served meanwhile. */
function loadResult(
  sample: Sample,
  durationSeconds: number,
  responses: number,
  cpuSeconds: number,
  cpuRequests: number,
): LoadResult {
  return {
    requestsPerSecond: sample.requests / durationSeconds,
    p50Ms: sample.p50Ms,
    p99Ms: sample.p99Ms,
    requests: sample.requests,
    responses,
    non2xx: sample.non2xx,
    errors: sample.errors,
    cpuMicrosPerRequest: cpuRequests > 0 ? (cpuSeconds * 1e6) / cpuRequests : 0,
  };
}

const OPEN_LOOP_SOURCE = join(__dirname, '..', '..', 'bench', 'openloop.c');
const OPEN_LOOP = join(__dirname, 'openloop');

/**
 * Compiles the open-loop generator (bench/openloop.c) with the machine's C compiler, once; false when
 * there is none (`runAtRate` then falls back to autocannon, whose fixed rate comes in bursts).
 */
export function buildOpenLoop(): boolean {
  const compiled = spawnSync('cc', ['-O2', '-o', OPEN_LOOP, OPEN_LOOP_SOURCE], { encoding: 'utf8' });
  return !compiled.error && compiled.status === 0;
}

/**
 * An open-loop load at a fixed rate, for latency at a given load rather than at saturation: the p50
 * and p99 a client sees when the server is not its bottleneck. With the open-loop generator each
 * connection sends on its own evenly spaced schedule, connections staggered, and latency counts from
 * when a request was due (a stalled server is charged for the requests it held up); `warmupSeconds` at
 * the same rate come first and are left out. Without a C compiler, autocannon's `overallRate`, which
 * sends each second's requests as fast as it can and then waits for the next second: latency under
 * bursts, so higher than at an even rate.
 */
export async function runAtRate(spec: LoadSpec, requestsPerSecond: number, openLoop: boolean): Promise<LoadResult> {
  const cpuBefore = processTreeCpuSeconds(spec.server.pid!);
  const sample = openLoop
    ? await driveOpenLoop(spec, requestsPerSecond)
    : await driveAutocannonAtRate(spec, requestsPerSecond);
  const cpuSeconds = processTreeCpuSeconds(spec.server.pid!) - cpuBefore;
  // The warm-up's CPU is in the window too (the server's whole time at this rate).
  return loadResult(sample, spec.durationSeconds, sample.responses, cpuSeconds, sample.responses);
}

async function driveOpenLoop(spec: LoadSpec, requestsPerSecond: number): Promise<Sample & { responses: number }> {
  const url = new URL(spec.url);
  const body = Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body);
  const headers = { 'Content-Type': 'application/json', ...spec.headers, 'Content-Length': String(body.length) };
  const head = [
    `POST ${url.pathname}${url.search} HTTP/1.1`,
    `Host: ${url.host}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-openloop-'));
  const requestFile = join(dir, 'request.http');
  writeFileSync(requestFile, Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body]));
  try {
    const { stdout } = await run(OPEN_LOOP, [
      url.hostname,
      url.port,
      requestFile,
      String(Math.max(1, Math.round(requestsPerSecond))),
      String(spec.connections),
      String(spec.warmupSeconds),
      String(spec.durationSeconds),
    ]);
    const figures = JSON.parse(stdout) as {
      requests: number;
      responses: number;
      non2xx: number;
      errors: number;
      p50: number;
      p99: number;
    };
    return { ...figures, p50Ms: figures.p50, p99Ms: figures.p99 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function driveAutocannonAtRate(
  spec: LoadSpec,
  requestsPerSecond: number,
): Promise<Sample & { responses: number }> {
  const result = await autocannon({
    url: spec.url,
    method: 'POST',
    body: spec.body,
    headers: { 'content-type': 'application/json', ...spec.headers },
    connections: spec.connections,
    overallRate: Math.max(1, Math.round(requestsPerSecond)),
    duration: spec.durationSeconds,
  });
  return {
    requests: result.requests.total,
    responses: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function driveAutocannon(spec: LoadSpec, durationSeconds: number): Promise<Sample> {
  const result = await autocannon({
    url: spec.url,
    method: 'POST',
    body: spec.body,
    headers: { 'content-type': 'application/json', ...spec.headers },
    connections: spec.connections,
    pipelining: 1,
    duration: durationSeconds,
  });
  return {
    requests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

const run = promisify(execFile);

/** One wrk thread (it is enough for 64 connections and leaves the other cores to the server). */
async function driveWrk(spec: LoadSpec, durationSeconds: number): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-wrk-'));
  const script = join(dir, 'post.lua');
  const bodyFile = join(dir, 'body.bin');
  writeFileSync(bodyFile, spec.body);
  const headers = { 'Content-Type': 'application/json', ...spec.headers };
  writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      // Read from a file: binary bodies (the OIP binary extension) have bytes a Lua literal would mangle.
      `local file = io.open(${luaString(bodyFile)}, "rb")`,
      'wrk.body = file:read("*all")',
      'file:close()',
      ...Object.entries(headers).map(([name, value]) => `wrk.headers[${luaString(name)}] = ${luaString(value)}`),
    ].join('\n'),
  );
  try {
    const { stdout } = await run(
      'wrk',
      ['-t1', `-c${spec.connections}`, `-d${durationSeconds}s`, '--latency', '-s', script, spec.url],
      { maxBuffer: 1 << 20 },
    );
    return parseWrk(stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function luaString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function wrkMillis(value: string, unit: string): number {
  return Number(value) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[unit];
}

/** The figures in wrk's report (`--latency` adds the percentiles). */
export function parseWrk(report: string): Sample {
  const percentile = (p: number) => {
    const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(report);
    return match ? wrkMillis(match[1], match[2]) : NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(report)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(report)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(report);
  const errors = socket ? socket.slice(1).reduce((sum, count) => sum + Number(count), 0) : 0;
  return { requests, p50Ms: percentile(50), p99Ms: percentile(99), non2xx, errors };
}

/**
 * gRPC with h2load (nghttp2, in C like wrk): one stream at a time on each of `connections` HTTP/2
 * connections, the same unary call each time. h2load counts HTTP/2 responses, not gRPC statuses: the
 * bench checks the calls' statuses apart (a call before and after, and the metered errors).
 */
async function driveH2load(spec: LoadSpec, durationSeconds: number): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-h2load-'));
  const bodyFile = join(dir, 'call.bin');
  const logFile = join(dir, 'requests.log');
  writeFileSync(bodyFile, spec.body);
  const headers = { 'content-type': 'application/grpc', te: 'trailers', ...spec.headers };
  try {
    const { stdout } = await run(
      'h2load',
      [
        '-t1',
        `-c${spec.connections}`,
        '-m1',
        `-D${durationSeconds}`,
        '-d',
        bodyFile,
        '--log-file',
        logFile,
        ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
        spec.url,
      ],
      { maxBuffer: 1 << 22 },
    );
    // The log: one line per request, "start time (µs), status, duration (µs)".
    const durations = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t'))
      .filter(([, httpStatus]) => httpStatus === '200')
      .map(([, , micros]) => Number(micros) / 1000)
      .sort((a, b) => a - b);
    const at = (p: number) =>
      durations[Math.min(durations.length - 1, Math.floor((p / 100) * durations.length))] ?? NaN;
    const done = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(
      stdout,
    );
    return {
      requests: durations.length,
      p50Ms: at(50),
      p99Ms: at(99),
      non2xx: done ? Number(done[1]) - Number(done[2]) : 0,
      errors: done ? Number(done[3]) + Number(done[4]) : 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
