import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';

export const DIST_MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');
export const DIST_CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then the exit code (or signal name). */
  stop(): Promise<number | string | null>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts the built server (`npm test` builds first) as a child process and waits until it is ready.
 * `detached`: the server leads a process group of its own (a cluster's primary and workers), which a
 * test can kill at once with `process.kill(-child.pid, 'SIGKILL')`. `port`: a given one (an instance
 * restarted behind a load balancer), else a free one.
 */
export async function startServerProcess(
  env: Record<string, string>,
  { detached = false, port: fixedPort }: { detached?: boolean; port?: number } = {},
): Promise<ServerProcess> {
  if (!existsSync(DIST_MAIN)) throw new Error('dist/src/main.js is missing: run `npm run build` (npm test does)');
  const port = fixedPort ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  // A journal of its own unless the test shares one between runs (files left in ./data would be replayed).
  const scratch = () => mkdtempSync(join(tmpdir(), 'modelgate-server-'));
  const child = spawn(process.execPath, [DIST_MAIN], {
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: url,
      GRPC_PORT: '0',
      // Tests stop servers at once unless they test the drain.
      SHUTDOWN_DRAIN_MS: '0',
      ...(env.USAGE_JOURNAL_DIR ? {} : { USAGE_JOURNAL_DIR: join(scratch(), 'usage-journal') }),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited during start-up:\n${output}`);
    try {
      if ((await fetch(`${url}/health/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not become ready:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    child,
    url,
    output: () => output,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
