import {
  Metadata,
  sendUnaryData,
  Server,
  ServerCredentials,
  ServerUnaryCall,
  ServiceDefinition,
  status as Status,
  UntypedServiceImplementation,
  loadPackageDefinition,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HealthImplementation, protoPath as HEALTH_PROTO } from 'grpc-health-check';
import { rootLogger } from '../../observability/logging';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CallContext } from '../../common/request-context';
import { requestIdFrom } from '../../common/request-id';
import { Configuration } from '../../config/configuration';
import { DataPlane } from '../../data-plane/data-plane.service';
import { Principal } from '../../identity/principal';
import { Scope } from '../../identity/scopes';
import { ShutdownService } from '../../lifecycle/shutdown.service';
import { usageEventOf } from '../../usage/usage-event';
import { UsageRecorder } from '../../usage/usage-recorder.service';
import { OipService } from '../v2/oip.service';
import { inferResponseOf, ModelInferRequest, oipRequestOf } from './grpc-messages';
import { grpcCodeOf, grpcErrorOf } from './grpc-status';

export const INFERENCE_PROTO = join(__dirname, 'proto', 'grpc_predict_v2.proto');
const SERVICE = 'inference.GRPCInferenceService';
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

interface Handled {
  /** Metered to this principal, when the call authenticated. */
  principal?: Principal;
  /** The call's data-plane context (model, timings, error code). */
  context: CallContext;
  /** Tensor bytes in and out (gRPC does not expose message sizes). */
  bytesIn: number;
  bytesOut: number;
  /** The rate-limit fields to send. */
  limits?: Record<string, string>;
}

type Handler<Req, Res> = (request: Req, metadata: Metadata, handled: Handled) => Promise<Res>;

/**
 * The gRPC adapter: `inference.GRPCInferenceService` (KServe's grpc_predict_v2.proto), `grpc.health.v1`
 * and server reflection on GRPC_PORT, over the same data plane as REST: credentials from metadata
 * (`x-api-key`, `authorization: Bearer`), scopes, allow-lists, limits (fields as initial metadata,
 * `retry-after` as trailing metadata), batching, timeouts and metering (`protocol` = `grpc`). Every
 * worker process of a cluster serves it; shutdown drains its calls beside the HTTP server's.
 */
@Injectable()
export class GrpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(GrpcServer.name);
  private server?: Server;
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING', [SERVICE]: 'NOT_SERVING' });
  private boundPort?: number;

  constructor(
    private readonly plane: DataPlane,
    private readonly oip: OipService,
    private readonly recorder: UsageRecorder,
    private readonly config: ConfigService<Configuration, true>,
    shutdown: ShutdownService,
  ) {
    shutdown.registerServer(
      'gRPC',
      () => this.drain(),
      () => this.notServing(),
    );
  }

  /** The port it listens on (GRPC_PORT, or the one the system chose for 0 in tests); undefined when off. */
  get port(): number | undefined {
    return this.boundPort;
  }

  async onApplicationBootstrap(): Promise<void> {
    const settings = this.config.get('grpc', { infer: true });
    if (settings.port === 0) return;
    const server = new Server({
      'grpc.max_receive_message_length': settings.maxMessageBytes,
      'grpc.max_send_message_length': settings.maxMessageBytes,
    });
    const definition = loadSync([INFERENCE_PROTO, HEALTH_PROTO], LOADER_OPTIONS);
    const loaded = loadPackageDefinition(definition) as unknown as {
      inference: { GRPCInferenceService: { service: ServiceDefinition } };
    };
    server.addService(loaded.inference.GRPCInferenceService.service, this.implementation());
    this.health.addToServer(server);
    new ReflectionService(definition).addToServer(server);
    const host = settings.host ?? this.config.get('app', { infer: true }).host;
    const credentials = settings.tls
      ? ServerCredentials.createSsl(null, [
          { cert_chain: readFileSync(settings.tls.certFile), private_key: readFileSync(settings.tls.keyFile) },
        ])
      : ServerCredentials.createInsecure();
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${settings.port}`, credentials, (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    this.server = server;
    this.health.setStatus('', 'SERVING');
    this.health.setStatus(SERVICE, 'SERVING');
    this.logger.log(
      `gRPC (${SERVICE}, grpc.health.v1, reflection) on ${host}:${this.boundPort}${settings.tls ? ' with TLS' : ''}`,
    );
  }

  onApplicationShutdown(): void {
    this.server?.forceShutdown();
  }

  /** Draining has begun: health checks say NOT_SERVING while calls are still served. */
  private notServing(): void {
    this.health.setStatus('', 'NOT_SERVING');
    this.health.setStatus(SERVICE, 'NOT_SERVING');
  }

  /** Stops taking calls and waits for those in flight (at most SHUTDOWN_TIMEOUT_MS, then cuts them). */
  private async drain(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.notServing();
    const timeoutMs = this.config.get('app', { infer: true }).shutdownTimeoutMs;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, timeoutMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private implementation(): UntypedServiceImplementation {
    const plane = this.plane;
    const oip = this.oip;
    const authorized = async (metadata: Metadata, handled: Handled, scopes: Scope[]): Promise<Principal> => {
      handled.principal = await plane.authenticate(credentialsOf(metadata));
      const principal = plane.authorize(handled.principal, scopes);
      const limits = plane.limit(principal);
      handled.limits = limits instanceof Promise ? await limits : limits;
      return principal;
    };
    return {
      ServerLive: this.unary('ServerLive', () => Promise.resolve({ live: true })),
      ServerReady: this.unary('ServerReady', () => Promise.resolve({ ready: plane.serverReady })),
      ServerMetadata: this.unary('ServerMetadata', () => Promise.resolve(oip.serverMetadata())),
      ModelReady: this.unary<{ name: string; version: string }, { ready: boolean }>(
        'ModelReady',
        async (request, metadata, handled) => {
          const principal = await authorized(metadata, handled, [Scope.ModelsRead]);
          return { ready: oip.modelReady(principal, request.name, request.version || undefined).ready };
        },
      ),
      ModelMetadata: this.unary<{ name: string; version: string }, object>(
        'ModelMetadata',
        async (request, metadata, handled) => {
          const principal = await authorized(metadata, handled, [Scope.ModelsRead]);
          const model = oip.modelMetadata(principal, request.name, request.version || undefined);
          const tensors = (specs: { name: string; datatype: string; shape: number[] }[]) =>
            specs.map((spec) => ({ name: spec.name, datatype: spec.datatype, shape: spec.shape.map(String) }));
          return { ...model, inputs: tensors(model.inputs), outputs: tensors(model.outputs) };
        },
      ),
      ModelInfer: this.unary<ModelInferRequest, object>('ModelInfer', async (request, metadata, handled) => {
        const principal = await authorized(metadata, handled, [Scope.ModelsInfer]);
        handled.bytesIn = (request.raw_input_contents ?? []).reduce((sum, bytes) => sum + bytes.length, 0);
        const version = oip.readyVersion(
          handled.context,
          principal,
          request.model_name,
          request.model_version || undefined,
        );
        const result = await oip.infer(handled.context, version, oipRequestOf(request));
        const response = inferResponseOf(result);
        handled.bytesOut = response.raw_output_contents.reduce((sum, bytes) => sum + bytes.length, 0);
        return response;
      }),
    };
  }

  /**
   * One unary method: runs the handler, sends the request id and limit fields as initial metadata, ends
   * with the answer or the error's status, and meters an authenticated call like a REST one, journaled
   * before the answer goes out.
   */
  private unary<Req, Res>(method: string, handler: Handler<Req, Res & object>) {
    const route = `/${SERVICE}/${method}`;
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      const started = performance.now();
      const sent = call.metadata.get('x-request-id')[0];
      const requestId = requestIdFrom(typeof sent === 'string' ? sent : undefined);
      const handled: Handled = { context: {}, bytesIn: 0, bytesOut: 0 };
      const finish = (status: number, answer: () => void) => {
        const principal = handled.principal;
        logCall(requestId, route, status, performance.now() - started, principal);
        if (!principal) return answer();
        this.recorder.record(
          usageEventOf({
            principal,
            call: handled.context,
            apiVersion: 'v2',
            protocol: 'grpc',
            method: 'GRPC',
            route,
            requestId,
            requestIdFromClient: requestId === sent,
            status,
            latencyMs: performance.now() - started,
            requestBytes: handled.bytesIn,
            responseBytes: handled.bytesOut,
          }),
          answer,
        );
      };
      handler(call.request, call.metadata, handled).then(
        (response) => {
          const initial = new Metadata();
          initial.set('x-request-id', requestId);
          for (const [name, value] of Object.entries(handled.limits ?? {})) initial.set(name.toLowerCase(), value);
          const lifecycle = handled.context.versionHeaders;
          if (lifecycle?.deprecation) initial.set('deprecation', lifecycle.deprecation);
          if (lifecycle?.sunset) initial.set('sunset', lifecycle.sunset);
          if (lifecycle?.link) initial.set('link', lifecycle.link);
          call.sendMetadata(initial);
          finish(200, () => {
            callback(null, response);
            // The shadow run (if any) is handed over once the answer is on its way, never before.
            handled.context.afterResponse?.();
          });
        },
        (error: unknown) => {
          const { normalized, status } = grpcErrorOf(error, requestId);
          handled.context.errorCode = normalized.code;
          if (!normalized.expose) this.logger.error({ err: error, requestId }, `Unhandled error in ${route}`);
          finish(normalized.status, () => callback(status));
        },
      );
    };
  }
}

/** One access-log line per call, as the HTTP server writes one per request. */
function logCall(requestId: string, route: string, status: number, elapsedMs: number, principal?: Principal): void {
  const level = status >= 500 ? 'error' : 'info';
  if (!rootLogger().isLevelEnabled(level)) return;
  rootLogger()[level](
    {
      requestId,
      protocol: 'grpc',
      route,
      statusCode: status,
      grpcCode: status === 200 ? Status.OK : grpcCodeOf(status),
      responseTimeMs: Math.round(elapsedMs * 100) / 100,
      principal: principal ? { type: principal.type, id: principal.id } : undefined,
    },
    'call completed',
  );
}

/** The credentials of a call, from its metadata, as the data plane reads them (a header map). */
function credentialsOf(metadata: Metadata): { authorization?: string | string[]; 'x-api-key'?: string | string[] } {
  const values = (name: string) => {
    const found = metadata.get(name).map(String);
    return found.length === 0 ? undefined : found.length === 1 ? found[0] : found;
  };
  return { authorization: values('authorization'), 'x-api-key': values('x-api-key') };
}
