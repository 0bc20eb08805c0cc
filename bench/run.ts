/**
 * `npm run bench`: the platform (full auth, validation, usage metering) against a bare node:http +
 * ONNX Runtime server on the same models, measured in the same run with the same load generator,
 * beside in-process raw ONNX Runtime figures. Uses DATABASE_URL when set, else a fresh embedded database.
 *
 * Each model is measured in BENCH_ROUNDS (default 3) alternating rounds of platform and bare servers, so
 * that each ratio compares measurements minutes apart at most; the median ratio is the result.
 *
 * Env: BENCH_DURATION (seconds per measurement, default 5), BENCH_WARMUP (seconds of load before a
 * server's first measurement, default 5), BENCH_CONNECTIONS (default 64),
 * BENCH_LOAD_GENERATOR (wrk or autocannon; default wrk when installed), and any platform setting
 * (WORKERS, DATABASE_URL, ...). The bare server is measured as one process (the targets' baseline)
 * and, when the platform runs several, with as many processes. A metered count above the responses received is
 * expected: the server finishes requests the load generator stopped waiting for.
 *
 * The usage journal's cost (USAGE_JOURNAL, a write before each response) is measured beside: a second
 * platform with the journal off, on its own port and database, in the same alternating rounds.
 */
import { ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SERVER_V8_FLAGS } from '../src/cluster';
import { chooseLoadGenerator, LoadResult, runLoad } from './load';
import { measureRawOrt, RawOrtFigures } from './raw-ort';

const ROOT = resolve(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
// Long enough for every server to reach its steady speed: with 2 s the platform's first round was
// often its slowest.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const GENERATOR = chooseLoadGenerator();

interface BenchModel {
  name: string;
  features: number;
  batchedTarget: boolean;
}

const MODELS: BenchModel[] = [
  { name: 'iris', features: 4, batchedTarget: false },
  { name: 'mlp', features: 784, batchedTarget: true },
];

function requestBody(features: number): string {
  const row = Array.from({ length: features }, (_, index) => Number(((index * 7919) % 100) / 20).toFixed(2));
  return `{"inputs":{"input":[[${row.join(',')}]]}}`;
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
  if (child.exitCode !== null) return;
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

async function meteredRequests(base: string, adminKey: string, principalId: string, from: string): Promise<number> {
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const query = new URLSearchParams({ from, to, granularity: 'day', groupBy: 'principal' });
  const response = await fetch(`${base}/v1/admin/usage?${query.toString()}`, { headers: { 'x-api-key': adminKey } });
  if (!response.ok) throw new Error(`usage query failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { items: { principalId?: string; requests: number }[] };
  return body.items.filter((item) => item.principalId === principalId).reduce((sum, item) => sum + item.requests, 0);
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
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function row(label: string, result: LoadResult): string {
  return `  ${label.padEnd(34)} ${result.requestsPerSecond.toFixed(0).padStart(8)} req/s   p50 ${result.p50Ms
    .toFixed(1)
    .padStart(6)} ms   p99 ${result.p99Ms.toFixed(1).padStart(6)} ms   CPU ${result.cpuMicrosPerRequest
    .toFixed(0)
    .padStart(5)} µs/req   non-2xx ${result.non2xx}   errors ${result.errors}`;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-bench-'));
  const platformPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(platformPort),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    EMBEDDED_DATA_DIR: join(dataDir, 'db'),
    USAGE_SPOOL_DIR: join(dataDir, 'spool'),
    BOOTSTRAP_ADMIN_KEY: 'false',
  };
  const base = `http://127.0.0.1:${platformPort}`;
  const started = new Date(Date.now() - 60_000).toISOString();
  // The platform's own rule (src/cluster.ts): WORKERS, else one per core with PostgreSQL, one embedded.
  const workers = env.DATABASE_URL ? Number(env.WORKERS ?? availableParallelism()) : 1;
  console.log(
    `Modelgate benchmark: ${DURATION}s per measurement, ${CONNECTIONS} connections, ${GENERATOR}, ${env.DATABASE_URL ? 'PostgreSQL' : 'embedded database'}, ${workers} platform process(es) on ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'})`,
  );

  const adminKey = createAdminKey(env);
  let platform = startPlatform(env);
  // The same platform without the journal (its own port; the same database, its own events).
  const unjournaledPort = await freePort();
  const unjournaledEnv = { ...env, PORT: String(unjournaledPort), USAGE_JOURNAL: 'false' };
  const unjournaledBase = `http://127.0.0.1:${unjournaledPort}`;
  const unjournaled = startPlatform(unjournaledEnv);
  interface Round {
    platform: LoadResult;
    unjournaled: LoadResult;
    bare: LoadResult;
    bareSameProcesses?: LoadResult;
  }
  const results: { model: BenchModel; rounds: Round[]; raw: RawOrtFigures }[] = [];
  let partner: { id: string; key: string };
  let handled = 0; // responses received, warm-ups included
  try {
    await waitFor(`${base}/health/ready`);
    await waitFor(`${unjournaledBase}/health/ready`);
    partner = await createPartnerKey(base, adminKey);
    for (const model of MODELS) {
      const body = requestBody(model.features);
      const bare = await startBare(model, 1);
      const bareSameProcesses = workers > 1 ? await startBare(model, workers) : undefined;
      const load = (url: string, server: ChildProcess, warmup: boolean, headers?: Record<string, string>) =>
        runLoad(
          {
            url,
            body,
            headers,
            connections: CONNECTIONS,
            durationSeconds: DURATION,
            server,
            warmup,
            warmupSeconds: WARMUP,
          },
          GENERATOR,
        );
      const rounds: Round[] = [];
      try {
        // Alternating rounds: the machine's speed drifts, and each ratio compares neighbours in time.
        for (let round = 0; round < ROUNDS; round++) {
          const first = round === 0;
          const platformResult = await load(`${base}/v1/models/${model.name}/predict`, platform, first, {
            'x-api-key': partner.key,
          });
          handled += platformResult.responses;
          const unjournaledResult = await load(
            `${unjournaledBase}/v1/models/${model.name}/predict`,
            unjournaled,
            first,
            {
              'x-api-key': partner.key,
            },
          );
          handled += unjournaledResult.responses;
          rounds.push({
            platform: platformResult,
            unjournaled: unjournaledResult,
            bare: await load(bare.url, bare.child, first),
            bareSameProcesses: bareSameProcesses && (await load(bareSameProcesses.url, bareSameProcesses.child, first)),
          });
        }
      } finally {
        await stop(bare.child);
        if (bareSameProcesses) await stop(bareSameProcesses.child);
      }
      const raw = await measureRawOrt(join(ROOT, 'models', model.name, '1', 'model.onnx'), model.features);
      results.push({ model, rounds, raw });
    }
  } finally {
    await stop(platform);
    await stop(unjournaled);
  }

  // Restart to read back what was metered: SIGTERM must have flushed every event.
  platform = startPlatform(env);
  let metered: number;
  try {
    await waitFor(`${base}/health/ready`);
    metered = await meteredRequests(base, adminKey, partner!.id, started);
  } finally {
    await stop(platform);
    rmSync(dataDir, { recursive: true, force: true });
  }

  console.log('');
  for (const { model, rounds, raw } of results) {
    console.log(`${model.name}:`);
    rounds.forEach(({ platform: p, unjournaled: u, bare, bareSameProcesses }, index) => {
      console.log(`  round ${index + 1}`);
      console.log(row(`platform (auth+usage), ${workers} proc`, p));
      console.log(row(`platform, journal off, ${workers} proc`, u));
      console.log(row('bare node:http + ORT, 1 proc', bare));
      if (bareSameProcesses) console.log(row(`bare node:http + ORT, ${workers} proc`, bareSameProcesses));
    });
    console.log(
      `  raw ORT in-process           ${raw.batch1RunsPerSecond.toFixed(0)} runs/s at batch 1, ${raw.batch64SamplesPerSecond.toFixed(0)} samples/s at batch 64`,
    );
    const ratios = rounds.map((round) => round.platform.requestsPerSecond / round.bare.requestsPerSecond);
    const ratio = median(ratios);
    const target = model.batchedTarget ? 2 : 0.6;
    const each = ratios.map((value) => value.toFixed(2)).join(', ');
    console.log(
      `  platform / bare (1 proc) = ${ratio.toFixed(2)}x median of rounds (${each}) (target >= ${target}x: ${ratio >= target ? 'met' : 'NOT met'})`,
    );
    if (rounds[0].bareSameProcesses) {
      const same = rounds.map((round) => round.platform.requestsPerSecond / round.bareSameProcesses!.requestsPerSecond);
      console.log(
        `  platform / bare (${workers} proc) = ${median(same).toFixed(2)}x median of rounds (${same.map((value) => value.toFixed(2)).join(', ')})`,
      );
    }
    const journalCpu = rounds.map(
      (round) => round.platform.cpuMicrosPerRequest - round.unjournaled.cpuMicrosPerRequest,
    );
    const journalRatio = rounds.map((round) => round.platform.requestsPerSecond / round.unjournaled.requestsPerSecond);
    console.log(
      `  usage journal: ${median(journalCpu).toFixed(1)} µs server CPU per request (rounds ${journalCpu.map((value) => value.toFixed(1)).join(', ')}), throughput ${median(journalRatio).toFixed(2)}x of the platform without it`,
    );
    const platformMedian = median(rounds.map((round) => round.platform.requestsPerSecond));
    console.log(`  platform / raw ORT batch 1 = ${(platformMedian / raw.batch1RunsPerSecond).toFixed(2)}x`);
    // What batching can win at most on this machine: it differs by CPU far more than the servers do.
    console.log(
      `  raw ORT batch 64 / batch 1 = ${(raw.batch64SamplesPerSecond / raw.batch1RunsPerSecond).toFixed(1)}x samples per second`,
    );
  }
  console.log('');
  const lost = Math.max(0, handled - metered);
  console.log(`Usage events: ${metered} metered for ${handled} responses received (lost: ${lost}).`);
  if (lost > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
