import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server-process';

/** Whether Debian's haproxy is installed (`.ci/run` installs it). */
export function haproxyInstalled(): boolean {
  return !spawnSync('haproxy', ['-v']).error;
}

export interface LoadBalancer {
  url: string;
  /** What haproxy printed (its alerts: servers going DOWN and UP). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real HAProxy in front of `backends` (ports on 127.0.0.1), configured the way the README asks a
 * load balancer to be: health checks on `/health/ready` every 500 ms (out of rotation after 2 failures,
 * back after 2 successes), keep-alive on both sides, and retries only of connections that could not be
 * made (`retry-on conn-failure`, on another server): a request that reached an instance is never sent
 * again, so an instance that dropped or refused one shows as a failure to the client.
 */
export async function startHaproxy(backends: number[]): Promise<LoadBalancer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 2000',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 30s',
      '  timeout server 30s',
      '  timeout http-keep-alive 30s',
      '  option http-keep-alive',
      '  retries 3',
      '  retry-on conn-failure',
      '  option redispatch 1',
      'frontend api',
      `  bind 127.0.0.1:${port}`,
      '  default_backend modelgate',
      'backend modelgate',
      '  balance roundrobin',
      '  option httpchk GET /health/ready',
      '  http-check expect status 200',
      '  default-server inter 500ms fall 2 rise 2',
      ...backends.map((backend, index) => `  server instance${index + 1} 127.0.0.1:${backend} check`),
      '',
    ].join('\n'),
  );
  const check = spawnSync('haproxy', ['-c', '-f', config], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy refused its configuration:\n${check.stdout}${check.stderr}`);
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited:\n${output}`);
    try {
      if ((await fetch(`${url}/health/live`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`haproxy did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
