/**
 * `npm run bench`: the platform (full auth, validation, limits, usage metering with its journal) against
 * a bare node:http + ONNX Runtime server on the same models, measured the way users would see it:
 * - the bare server runs with as many processes as the platform (the baseline of the targets), and with
 *   one as an extra row;
 * - request bodies are what real clients send: float32 values printed as doubles, 16-17 significant
 *   digits (`0.07450000196695328`, as NumPy/Python print them); two-decimal bodies are an extra row;
 * - JSON REST at 32 and 64 connections, binary REST (the OIP binary tensor extension) and gRPC (h2load);
 * - the platform without its usage journal, beside, for the journal's cost;
 * - iris's p99 at half the platform's own maximum throughput (a fixed rate, open loop: bench/openloop.c),
 *   and the bare server's at half of its own;
 * - every response's usage event, counted after a restart (lost events fail the run).
 * Rounds alternate between the servers, so that each ratio compares measurements minutes apart at most;
 * the median of the rounds' ratios is the result, printed against the targets with pass/fail.
 *
 * Env: BENCH_DURATION (seconds per measurement, 5), BENCH_WARMUP (seconds before a server's first
 * measurement, 5), BENCH_ROUNDS (3), BENCH_LOAD_GENERATOR (wrk or autocannon), and any platform setting
 * (WORKERS, DATABASE_URL, ...). Uses DATABASE_URL when set, else a fresh embedded database.
 */
import { credentials, loadPackageDefinition, Metadata, ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as protobuf from 'protobufjs';
import { SERVER_V8_FLAGS } from '../src/cluster';
import { buildOpenLoop, chooseLoadGenerator, hasH2load, LoadResult, runAtRate, runLoad } from './load';
import { measureRawOrt, RawOrtFigures } from './raw-ort';

const ROOT = resolve(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const PROTO = join(ROOT, 'dist', 'src', 'protocols', 'grpc', 'proto', 'grpc_predict_v2.proto');
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
// Long enough for every server to reach its steady speed: with 2 s the platform's first round was
// often its slowest.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GENERATOR = chooseLoadGenerator();
const GRPC = hasH2load();
const OPEN_LOOP = buildOpenLoop();

interface BenchModel {
  name: string;
  features: number;
  /** Targets: against the bare server with as many processes, JSON REST with real bodies. */
  jsonTarget: number;
  /** Binary REST or gRPC against the bare JSON server (the MLP only). */
  binaryTarget?: number;
}

const MODELS: BenchModel[] = [
  { name: 'iris', features: 4, jsonTarget: 0.8 },
  { name: 'mlp', features: 784, jsonTarget: 2.0, binaryTarget: 3.0 },
];
const P99_TARGET_MS = 5;

/** One row's features: iris's real measurements, else pseudo-random values in [0, 1). */
function features(model: BenchModel): number[] {
  if (model.name === 'iris') return [5.1, 3.5, 1.4, 0.2];
  let seed = 20261202;
  return Array.from({ length: model.features }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  });
}

/** The row as a client holding float32 values prints it: each widened to a double, 16-17 digits. */
function realBody(model: BenchModel): string {
  return `{"inputs":{"input":[[${features(model)
    .map((value) => String(Math.fround(value)))
    .join(',')}]]}}`;
}

/** The same row with two decimals (the easy case of the JSON parser's fast path). */
function shortBody(model: BenchModel): string {
  return `{"inputs":{"input":[[${features(model)
    .map((value) => value.toFixed(2))
    .join(',')}]]}}`;
}

/** Binary REST: the OIP JSON with binary_data_size, then the float32 bytes; outputs back as binary. */
function binaryBody(model: BenchModel): { body: Buffer; headerLength: number } {
  const raw = Buffer.from(new Float32Array(features(model)).buffer);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        { name: 'input', shape: [1, model.features], datatype: 'FP32', parameters: { binary_data_size: raw.length } },
      ],
      parameters: { binary_data_output: true },
    }),
  );
  return { body: Buffer.concat([header, raw]), headerLength: header.length };
}

/** One gRPC ModelInfer message, length-prefixed as on the wire (uncompressed). */
function grpcBody(model: BenchModel): Buffer {
  // keepCase: the proto's own field names (protobufjs would expect camelCase ones otherwise).
  const type = new protobuf.Root().loadSync(PROTO, { keepCase: true }).lookupType('inference.ModelInferRequest');
  const message = type
    .encode(
      type.create({
        model_name: model.name,
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, model.features] }],
        raw_input_contents: [Buffer.from(new Float32Array(features(model)).buffer)],
      }),
    )
    .finish();
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  Buffer.from(message).copy(frame, 5);
  return frame;
}

async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not become ready`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function createAdminKey(env: NodeJS.ProcessEnv): string {
  const result = spawnSync(process.execPath, [CLI, 'create-admin-key', '--name', 'bench-admin'], {
    env,
    encoding: 'utf8',
  });
  const key = /mg_[A-Za-z0-9_]+/.exec(result.stdout)?.[0];
  if (!key) throw new Error(`create-admin-key failed: ${result.stderr || result.stdout}`);
  return key;
}

async function createPartnerKey(base: string, adminKey: string): Promise<{ id: string; key: string }> {
  const response = await fetch(`${base}/v1/admin/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': adminKey },
    body: JSON.stringify({
      name: 'bench-partner',
      scopes: ['models:infer', 'usage:read'],
      rateLimit: { requestsPerMinute: 100_000_000 },
      quota: { requestsPerMonth: 1_000_000_000 },
    }),
  });
  if (response.status !== 201)
    throw new Error(`creating the bench key failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; key: string };
}

/** What the usage report counts for the principal: requests, and those that failed (by protocol too). */
async function metered(base: string, adminKey: string, principalId: string, from: string) {
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const query = new URLSearchParams({ from, to, granularity: 'day', groupBy: 'principal,protocol' });
  const response = await fetch(`${base}/v1/admin/usage?${query.toString()}`, { headers: { 'x-api-key': adminKey } });
  if (!response.ok) throw new Error(`usage query failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as {
    items: { principalId?: string; protocol?: string; requests: number; errors: number }[];
  };
  const mine = body.items.filter((item) => item.principalId === principalId);
  return {
    requests: mine.reduce((sum, item) => sum + item.requests, 0),
    errors: mine.reduce((sum, item) => sum + item.errors, 0),
    grpc: mine.filter((item) => item.protocol === 'grpc').reduce((sum, item) => sum + item.requests, 0),
  };
}

/** One ModelInfer through a real gRPC client, to check the status h2load does not read. */
function grpcCallSucceeds(port: number, key: string, model: BenchModel): Promise<boolean> {
  const definition = loadSync(PROTO, { keepCase: true, longs: String, defaults: true });
  const { inference } = loadPackageDefinition(definition) as unknown as {
    inference: {
      GRPCInferenceService: new (
        address: string,
        channel: ReturnType<typeof credentials.createInsecure>,
      ) => {
        ModelInfer(request: object, metadata: Metadata, callback: (error: ServiceError | null) => void): void;
        close(): void;
      };
    };
  };
  const client = new inference.GRPCInferenceService(`127.0.0.1:${port}`, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('x-api-key', key);
  return new Promise((resolve) =>
    client.ModelInfer(
      {
        model_name: model.name,
        inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', String(model.features)] }],
        raw_input_contents: [Buffer.from(new Float32Array(features(model)).buffer)],
      },
      metadata,
      (error) => {
        client.close();
        resolve(error === null);
      },
    ),
  );
}

function startPlatform(env: NodeJS.ProcessEnv): ChildProcess {
  // As `npm start` runs it.
  const child = spawn(process.execPath, [...SERVER_V8_FLAGS, MAIN], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (code && code !== 0) console.error(`platform exited with ${code ?? signal}`);
  });
  return child;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

interface BareServer {
  child: ChildProcess;
  url: string;
}

async function startBare(model: BenchModel, processes: number): Promise<BareServer> {
  const port = await freePort();
  const child = fork(join(__dirname, 'bare-server.js'), [
    join(ROOT, 'models', model.name, '1', 'model.onnx'),
    String(port),
    String(processes),
  ]);
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  return { child, url: `http://127.0.0.1:${port}/predict` };
}

function median(values: number[]): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function row(label: string, result: LoadResult): string {
  return `    ${label.padEnd(44)} ${result.requestsPerSecond.toFixed(0).padStart(8)} req/s   p50 ${result.p50Ms
    .toFixed(2)
    .padStart(7)} ms   p99 ${result.p99Ms.toFixed(2).padStart(7)} ms   CPU ${result.cpuMicrosPerRequest
    .toFixed(0)
    .padStart(5)} µs/req   non-2xx ${result.non2xx}   errors ${result.errors}`;
}

/** The measurements of one round, by name (`platform json real 64`, `bare-n json real 64`, ...). */
type Round = Map<string, LoadResult>;

interface Platform {
  child: ChildProcess;
  base: string;
  grpcPort: number;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-bench-'));
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    EMBEDDED_DATA_DIR: join(dataDir, 'db'),
    USAGE_SPOOL_DIR: join(dataDir, 'spool'),
    USAGE_JOURNAL_DIR: join(dataDir, 'journal'),
    BOOTSTRAP_ADMIN_KEY: 'false',
  };
  // The platform's own rule (src/config/processes.ts): WORKERS, else one per core with PostgreSQL.
  const workers = baseEnv.DATABASE_URL ? Number(baseEnv.WORKERS ?? availableParallelism()) : 1;
  console.log(
    `Modelgate benchmark: ${DURATION}s per measurement (after ${WARMUP}s of warm-up), ${ROUNDS} rounds, ${GENERATOR}${GRPC ? ' and h2load (gRPC)' : ', no h2load: gRPC not measured (apt-get install nghttp2-client)'}, ${baseEnv.DATABASE_URL ? 'PostgreSQL' : 'embedded database'}, ${workers} platform process(es) on ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'})`,
  );
  const started = new Date(Date.now() - 60_000).toISOString();
  const adminKey = createAdminKey(baseEnv);
  const launch = async (extra: NodeJS.ProcessEnv): Promise<Platform> => {
    const port = await freePort();
    const grpcPort = await freePort();
    const child = startPlatform({ ...baseEnv, PORT: String(port), GRPC_PORT: String(grpcPort), ...extra });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/health/ready`);
    return { child, base, grpcPort };
  };
  let platform = await launch({});
  // The same platform without the journal (its own ports; the same database, the same key).
  const unjournaled = await launch({ USAGE_JOURNAL: 'false' });
  const results: { model: BenchModel; rounds: Round[]; raw: RawOrtFigures; grpcChecked: boolean }[] = [];
  let partner: { id: string; key: string };
  let handled = 0; // responses received, warm-ups included
  let p99AtHalf: LoadResult | undefined;
  let halfRate = 0;
  let bareP99AtHalf: LoadResult | undefined;
  let bareHalfRate = 0;
  try {
    partner = await createPartnerKey(platform.base, adminKey);
    const auth = { 'x-api-key': partner.key };
    for (const model of MODELS) {
      const bareN = await startBare(model, workers);
      const bare1 = workers > 1 ? await startBare(model, 1) : bareN;
      const predict = (server: Platform) => `${server.base}/v1/models/${model.name}/predict`;
      const binary = binaryBody(model);
      const grpc = grpcBody(model);
      const grpcChecked = GRPC && (await grpcCallSucceeds(platform.grpcPort, partner.key, model));
      const warmed = new Set<string>();
      const measure = async (
        name: string,
        url: string,
        server: ChildProcess,
        options: { body: string | Buffer; connections: number; headers?: Record<string, string>; grpc?: boolean },
      ): Promise<LoadResult> => {
        const first = !warmed.has(name);
        warmed.add(name);
        const result = await runLoad(
          { url, server, durationSeconds: DURATION, warmup: first, warmupSeconds: WARMUP, ...options },
          GENERATOR,
        );
        if (!name.startsWith('bare')) handled += result.responses;
        return result;
      };
      const rounds: Round[] = [];
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const measured: Round = new Map();
          const real = realBody(model);
          for (const connections of [32, 64]) {
            measured.set(
              `platform json real ${connections}`,
              await measure(`platform json ${connections}`, predict(platform), platform.child, {
                body: real,
                connections,
                headers: auth,
              }),
            );
            measured.set(
              `bare-n json real ${connections}`,
              await measure(`bare-n json ${connections}`, bareN.url, bareN.child, { body: real, connections }),
            );
          }
          measured.set(
            'platform json short 64',
            await measure('platform json 64', predict(platform), platform.child, {
              body: shortBody(model),
              connections: 64,
              headers: auth,
            }),
          );
          measured.set(
            'bare-n json short 64',
            await measure('bare-n json 64', bareN.url, bareN.child, { body: shortBody(model), connections: 64 }),
          );
          measured.set(
            'unjournaled json real 64',
            await measure('unjournaled json 64', predict(unjournaled), unjournaled.child, {
              body: real,
              connections: 64,
              headers: auth,
            }),
          );
          if (workers > 1)
            measured.set(
              'bare-1 json real 64',
              await measure('bare-1 json 64', bare1.url, bare1.child, { body: real, connections: 64 }),
            );
          measured.set(
            'platform binary 64',
            await measure('platform binary 64', `${platform.base}/v2/models/${model.name}/infer`, platform.child, {
              body: binary.body,
              connections: 64,
              headers: {
                ...auth,
                'content-type': 'application/octet-stream',
                'inference-header-content-length': String(binary.headerLength),
              },
            }),
          );
          if (GRPC) {
            measured.set(
              'platform grpc 64',
              await measure(
                'platform grpc 64',
                `http://127.0.0.1:${platform.grpcPort}/inference.GRPCInferenceService/ModelInfer`,
                platform.child,
                {
                  body: grpc,
                  connections: 64,
                  headers: auth,
                  grpc: true,
                },
              ),
            );
          }
          rounds.push(measured);
        }
        if (model.name === 'iris') {
          // The latency a client sees at half of the platform's own maximum (JSON, real bodies), and the
          // bare server's at half of its own, measured the same way, beside.
          const atHalf = (name: string) => 0.5 * median(rounds.map((round) => round.get(name)!.requestsPerSecond));
          const fixedRate = (url: string, server: ChildProcess, headers?: Record<string, string>) => ({
            url,
            body: realBody(model),
            headers,
            connections: 32,
            durationSeconds: Math.max(DURATION, 10),
            server,
            warmupSeconds: 5,
          });
          halfRate = atHalf('platform json real 64');
          p99AtHalf = await runAtRate(fixedRate(predict(platform), platform.child, auth), halfRate, OPEN_LOOP);
          handled += p99AtHalf.responses;
          bareHalfRate = atHalf('bare-n json real 64');
          bareP99AtHalf = await runAtRate(fixedRate(bareN.url, bareN.child), bareHalfRate, OPEN_LOOP);
        }
      } finally {
        await stop(bareN.child);
        if (bare1 !== bareN) await stop(bare1.child);
      }
      const raw = await measureRawOrt(join(ROOT, 'models', model.name, '1', 'model.onnx'), model.features);
      results.push({
        model,
        rounds,
        raw,
        grpcChecked: grpcChecked && (await grpcCallSucceeds(platform.grpcPort, partner.key, model)),
      });
    }
  } finally {
    await stop(platform.child);
    await stop(unjournaled.child);
  }

  // Restart to read back what was metered: SIGTERM must have flushed every event, and the journal replayed.
  platform = await launch({});
  let usage: { requests: number; errors: number; grpc: number };
  try {
    usage = await metered(platform.base, adminKey, partner!.id, started);
  } finally {
    await stop(platform.child);
    rmSync(dataDir, { recursive: true, force: true });
  }

  const verdicts: string[] = [];
  const check = (what: string, value: number, target: number, higherIsBetter = true) => {
    const met = higherIsBetter ? value >= target : value <= target;
    verdicts.push(
      `  ${met ? 'PASS' : 'FAIL'}  ${what}: ${value.toFixed(2)} (target ${higherIsBetter ? '>=' : '<='} ${target})`,
    );
    return met;
  };
  console.log('');
  for (const { model, rounds, raw, grpcChecked } of results) {
    console.log(`${model.name}:`);
    rounds.forEach((round, index) => {
      console.log(`  round ${index + 1}`);
      for (const [name, result] of round) console.log(row(name, result));
    });
    console.log(
      `  raw ORT in-process: ${raw.batch1RunsPerSecond.toFixed(0)} runs/s at batch 1, ${raw.batch64SamplesPerSecond.toFixed(0)} samples/s at batch 64 (${(raw.batch64SamplesPerSecond / raw.batch1RunsPerSecond).toFixed(1)}x)`,
    );
    const ratio = (numerator: string, denominator: string) => {
      const values = rounds.map(
        (round) =>
          (round.get(numerator)?.requestsPerSecond ?? NaN) / (round.get(denominator)?.requestsPerSecond ?? NaN),
      );
      return { median: median(values), each: values.map((value) => value.toFixed(2)).join(', ') };
    };
    const line = (label: string, value: { median: number; each: string }) =>
      console.log(`  ${label.padEnd(58)} ${value.median.toFixed(2)}x  (rounds ${value.each})`);
    const json64 = ratio('platform json real 64', 'bare-n json real 64');
    const json32 = ratio('platform json real 32', 'bare-n json real 32');
    line(`platform / bare (${workers} proc), JSON real bodies, 64 conn`, json64);
    line(`platform / bare (${workers} proc), JSON real bodies, 32 conn`, json32);
    line(
      `platform / bare (${workers} proc), JSON two-decimal bodies, 64 conn`,
      ratio('platform json short 64', 'bare-n json short 64'),
    );
    if (workers > 1)
      line(
        'platform / bare (1 proc), JSON real bodies, 64 conn',
        ratio('platform json real 64', 'bare-1 json real 64'),
      );
    const binary = ratio('platform binary 64', 'bare-n json real 64');
    line(`platform binary REST / bare (${workers} proc) JSON, 64 conn`, binary);
    const grpc = GRPC ? ratio('platform grpc 64', 'bare-n json real 64') : undefined;
    if (grpc) line(`platform gRPC / bare (${workers} proc) JSON, 64 conn`, grpc);
    if (grpc) console.log(`  gRPC calls checked with a gRPC client before and after: ${grpcChecked ? 'OK' : 'FAILED'}`);
    const cpu = (name: string) => median(rounds.map((round) => round.get(name)?.cpuMicrosPerRequest ?? NaN));
    const journalCost = cpu('platform json real 64') - cpu('unjournaled json real 64');
    const journalRatio = ratio('platform json real 64', 'unjournaled json real 64');
    console.log(
      `  usage journal: ${journalCost.toFixed(1)} µs server CPU per request (median ${cpu('platform json real 64').toFixed(1)} with, ${cpu('unjournaled json real 64').toFixed(1)} without), throughput ${journalRatio.median.toFixed(2)}x (rounds ${journalRatio.each})`,
    );
    console.log(
      `  server CPU per request, JSON real 64: platform ${cpu('platform json real 64').toFixed(0)} µs, bare (${workers} proc) ${cpu('bare-n json real 64').toFixed(0)} µs`,
    );
    check(`${model.name} JSON REST vs the bare server (${workers} proc)`, json64.median, model.jsonTarget);
    if (model.binaryTarget) {
      const best = Math.max(binary.median, grpc?.median ?? 0);
      check(
        `${model.name} binary REST or gRPC vs the bare JSON server (best of: binary ${binary.median.toFixed(2)}, gRPC ${grpc?.median.toFixed(2) ?? 'n/a'})`,
        best,
        model.binaryTarget,
      );
    }
    if (grpc) check(`${model.name} gRPC statuses OK`, grpcChecked ? 1 : 0, 1);
  }
  if (p99AtHalf) {
    console.log('');
    console.log(
      `iris at a fixed rate, half of each server's maximum, 32 connections, ${OPEN_LOOP ? 'open loop (bench/openloop.c: even schedules, latency from when each request was due)' : 'autocannon (no C compiler: its fixed rate comes in bursts)'}:`,
    );
    console.log(row(`platform json real, ${halfRate.toFixed(0)} req/s`, p99AtHalf));
    if (bareP99AtHalf) console.log(row(`bare-n json real, ${bareHalfRate.toFixed(0)} req/s`, bareP99AtHalf));
    check('iris p99 at half the maximum throughput, ms', p99AtHalf.p99Ms, P99_TARGET_MS, false);
  }
  console.log('');
  const lost = Math.max(0, handled - usage.requests);
  console.log(
    `Usage events: ${usage.requests} metered for ${handled} responses received (lost: ${lost}; metered errors: ${usage.errors}; gRPC: ${usage.grpc}).`,
  );
  check('lost usage events', lost, 0, false);
  check('metered errors', usage.errors, 0, false);
  console.log('');
  console.log('Targets:');
  for (const verdict of verdicts) console.log(verdict);
  if (verdicts.some((verdict) => verdict.includes('FAIL'))) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
