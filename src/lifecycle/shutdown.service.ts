import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import { Configuration } from '../config/configuration';

export type FlushHook = () => Promise<void>;

/**
 * Graceful shutdown, as a load balancer needs it. Nest runs `onModuleDestroy` hooks before it closes
 * the HTTP server, so modules must not release what requests use there; instead, before shutdown this
 * service:
 * 1. marks the instance as draining: `/health/ready` answers 503 and gRPC health NOT_SERVING, while
 *    it keeps serving for `SHUTDOWN_DRAIN_MS` (on SIGTERM; SIGINT, a developer's Ctrl-C, skips it),
 *    every HTTP response carrying `Connection: close` so that clients and proxies take their
 *    keep-alive connections elsewhere — no request is refused meanwhile;
 * 2. stops accepting connections, closes the idle ones and waits for the requests and calls in flight
 *    (up to `SHUTDOWN_TIMEOUT_MS`);
 * 3. runs every registered flush hook in order (buffered usage events).
 * Only then do `onApplicationShutdown` hooks (the database pool among them) run.
 */
@Injectable()
export class ShutdownService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ShutdownService.name);
  private readonly hooks: { name: string; hook: FlushHook }[] = [];
  private readonly servers: { name: string; drain: FlushHook; notReady?: () => void }[] = [];
  private draining = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: ConfigService<Configuration, true>,
  ) {}

  get isShuttingDown(): boolean {
    return this.draining;
  }

  /**
   * Registers another server (gRPC) beside the HTTP server: `notReady` when draining begins (its health
   * service turns NOT_SERVING); after the drain period `drain`, which stops taking calls and finishes
   * those in flight (up to SHUTDOWN_TIMEOUT_MS); only then do the flush hooks run.
   */
  registerServer(name: string, drain: FlushHook, notReady?: () => void): void {
    this.servers.push({ name, drain, notReady });
  }

  /** Registers work that must finish before the process exits (e.g. writing buffered events). */
  registerFlushHook(name: string, hook: FlushHook): void {
    this.hooks.push({ name, hook });
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.draining = true;
    for (const { notReady } of this.servers) notReady?.();
    // Only a SIGTERM (the orchestrator's) drains: Ctrl-C (SIGINT) and a programmatic close stop at once.
    const drainMs = signal === 'SIGTERM' ? this.config.get('app', { infer: true }).shutdownDrainMs : 0;
    if (drainMs > 0) {
      this.logger.log(
        `Shutting down${signal ? ` on ${signal}` : ''}: not ready, still serving for ${drainMs} ms (SHUTDOWN_DRAIN_MS)`,
      );
      await new Promise((resolve) => setTimeout(resolve, drainMs));
    }
    this.logger.log(`Shutting down${signal ? ` on ${signal}` : ''}: draining in-flight requests`);
    await Promise.all([
      this.closeHttpServer(),
      ...this.servers.map(({ name, drain }) =>
        drain().catch((error: unknown) => this.logger.error({ err: error }, `Draining ${name} failed`)),
      ),
    ]);
    for (const { name, hook } of this.hooks) {
      try {
        await hook();
        this.logger.log(`Flushed ${name}`);
      } catch (error) {
        this.logger.error({ err: error }, `Flush hook ${name} failed`);
      }
    }
  }

  private async closeHttpServer(): Promise<void> {
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    const server = adapter.getHttpServer() as import('node:http').Server | undefined;
    const timeoutMs = this.config.get('app', { infer: true }).shutdownTimeoutMs;
    const timer = setTimeout(() => {
      this.logger.warn(`In-flight requests still running after ${timeoutMs} ms; closing their connections`);
      server?.closeAllConnections();
    }, timeoutMs);
    // A keep-alive connection whose request finishes during the drain turns idle after close() has
    // run; close such connections as they appear instead of waiting for their keep-alive timeout.
    const reaper = setInterval(() => server?.closeIdleConnections(), 50);
    try {
      await adapter.close();
    } finally {
      clearTimeout(timer);
      clearInterval(reaper);
    }
  }
}
