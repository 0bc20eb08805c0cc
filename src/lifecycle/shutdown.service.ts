import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import { Configuration } from '../config/configuration';

export type FlushHook = () => Promise<void>;

/**
 * Graceful shutdown. Nest runs `onModuleDestroy` hooks before it closes the HTTP server, so
 * modules must not release what requests use there; instead, before shutdown this service:
 * marks the instance as draining (readiness turns 503), stops accepting connections and waits for
 * in-flight requests (up to `SHUTDOWN_TIMEOUT_MS`), then runs every registered flush hook in order.
 * Only then do `onApplicationShutdown` hooks (the database pool among them) run.
 */
@Injectable()
export class ShutdownService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ShutdownService.name);
  private readonly hooks: { name: string; hook: FlushHook }[] = [];
  private readonly servers: { name: string; drain: FlushHook }[] = [];
  private draining = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: ConfigService<Configuration, true>,
  ) {}

  get isShuttingDown(): boolean {
    return this.draining;
  }

  /**
   * Registers another server (gRPC) to drain beside the HTTP server: it stops taking calls, finishes
   * those in flight (up to SHUTDOWN_TIMEOUT_MS), and only then do the flush hooks run.
   */
  registerServer(name: string, drain: FlushHook): void {
    this.servers.push({ name, drain });
  }

  /** Registers work that must finish before the process exits (e.g. writing buffered events). */
  registerFlushHook(name: string, hook: FlushHook): void {
    this.hooks.push({ name, hook });
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.draining = true;
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
