import cluster from 'node:cluster';
import { AggregatorRegistry, Registry } from 'prom-client';

const MESSAGE = 'modelgate:cluster-metrics';
const TIMEOUT_MS = 5000;

interface MetricsMessage {
  type: typeof MESSAGE;
  id: number;
  text?: string;
  error?: string;
}

function isMetricsMessage(message: unknown): message is MetricsMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === MESSAGE;
}

/**
 * The primary of a cluster: answers a worker's request for the metrics of every worker, summed by
 * prom-client's AggregatorRegistry (it asks each worker for its registry over the cluster channel).
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isMetricsMessage(message)) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: MESSAGE, id: message.id, text } satisfies MetricsMessage),
      (error: unknown) => worker.send({ type: MESSAGE, id: message.id, error: String(error) } satisfies MetricsMessage),
    );
  });
}

/**
 * A worker's view of the metrics: `/metrics` reaches whichever worker took the connection, so a worker
 * asks the primary for the whole cluster's figures. Outside a cluster, the process's own registry.
 */
export class ClusterMetrics {
  private nextId = 0;
  private readonly pending = new Map<number, (message: MetricsMessage) => void>();

  constructor(private readonly registry: Registry) {
    if (!cluster.isWorker) return;
    AggregatorRegistry.setRegistries([registry]);
    new AggregatorRegistry(); // installs the worker's side of prom-client's cluster channel
    process.on('message', (message: unknown) => {
      if (isMetricsMessage(message)) this.pending.get(message.id)?.(message);
    });
  }

  render(): Promise<string> {
    if (!cluster.isWorker || !process.send) return this.registry.metrics();
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => settle({ type: MESSAGE, id, error: 'the cluster primary did not answer' }),
        TIMEOUT_MS,
      );
      const settle = (message: MetricsMessage) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (message.text !== undefined) resolve(message.text);
        else reject(new Error(`Collecting the cluster's metrics failed: ${message.error}`));
      };
      this.pending.set(id, settle);
      process.send!({ type: MESSAGE, id } satisfies MetricsMessage);
    });
  }
}
