import cluster, { Worker } from 'node:cluster';
import { serveClusterMetrics } from './observability/cluster-metrics';

const RESTART_DELAY_MS = 1000;

/**
 * V8 flags for a server process: a larger young generation (32 MB semi-spaces, V8's default is 16) lets
 * the objects of requests in flight die young instead of being promoted, which `npm run bench` measured
 * as fewer and cheaper collections under load. `npm start` passes the same flags.
 */
export const SERVER_V8_FLAGS = ['--max-semi-space-size=32'];

/**
 * The primary of a multi-process server: forks `workers` copies of the application (they share the
 * listening port), replaces one that dies, sums their metrics for `/metrics`, and on SIGTERM/SIGINT
 * passes the signal on and exits once every worker has drained and exited.
 */
export function runPrimary(workers: number): void {
  let stopping = false;
  const log = (message: string) =>
    process.stdout.write(
      `${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, context: 'Cluster', msg: message })}\n`,
    );
  serveClusterMetrics();
  const inherited = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const flags = SERVER_V8_FLAGS.filter((flag) => !inherited.some((arg) => arg.startsWith(flag.split('=')[0])));
  cluster.setupPrimary({ execArgv: [...process.execArgv, ...flags] });
  const fork = (): Worker => cluster.fork();
  for (let i = 0; i < workers; i++) fork();
  log(`Started ${workers} worker processes`);
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    log(`Worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    setTimeout(fork, RESTART_DELAY_MS);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stopping = true;
      log(`${signal}: stopping workers`);
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    });
  }
}
