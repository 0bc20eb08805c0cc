import { ChannelCredentials, credentials, loadPackageDefinition, Metadata, ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO } from 'grpc-health-check';
import { join } from 'node:path';
import { INFERENCE_PROTO } from '../../src/protocols/grpc/grpc-server';

const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
const REFLECTION_PROTO = join(
  require.resolve('@grpc/reflection/package.json'),
  '..',
  'build',
  'proto',
  'grpc',
  'reflection',
  'v1',
  'reflection.proto',
);

type Unary = (
  request: object,
  metadata: Metadata,
  callback: (error: ServiceError | null, response: never) => void,
) => void;
type Client = Record<string, Unary> & { close(): void };

export interface CallResult<T> {
  response?: T;
  error?: ServiceError;
  /** Initial metadata (the server's headers) and trailing metadata. */
  headers?: Metadata;
}

/**
 * A real gRPC client of the platform, generated at run time from the committed proto by
 * @grpc/proto-loader (and the health and reflection protos of their packages): calls go through
 * grpc-js's HTTP/2 framing, as any client's would.
 */
export class GrpcTestClient {
  private readonly inference: Client;
  private readonly health: Client;
  private readonly reflection: { ServerReflectionInfo(): NodeJS.ReadWriteStream; close(): void };

  constructor(address: string, channel: ChannelCredentials = credentials.createInsecure()) {
    const packages = loadPackageDefinition(
      loadSync([INFERENCE_PROTO, HEALTH_PROTO, REFLECTION_PROTO], LOADER_OPTIONS),
    ) as unknown as {
      inference: { GRPCInferenceService: new (address: string, credentials: ChannelCredentials) => Client };
      grpc: {
        health: { v1: { Health: new (address: string, credentials: ChannelCredentials) => Client } };
        reflection: { v1: { ServerReflection: new (address: string, credentials: ChannelCredentials) => never } };
      };
    };
    this.inference = new packages.inference.GRPCInferenceService(address, channel);
    this.health = new packages.grpc.health.v1.Health(address, channel);
    this.reflection = new packages.grpc.reflection.v1.ServerReflection(address, channel);
  }

  /** One unary call of the inference service, with metadata (credentials) as given. */
  call<T>(method: string, request: object, metadata: Record<string, string> = {}): Promise<CallResult<T>> {
    const md = new Metadata();
    for (const [name, value] of Object.entries(metadata)) md.set(name, value);
    return this.unary(this.inference, method, request, md);
  }

  check(service: string): Promise<CallResult<{ status: string }>> {
    return this.unary(this.health, 'Check', { service }, new Metadata());
  }

  /** The services server reflection lists. */
  listServices(): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const stream = this.reflection.ServerReflectionInfo();
      stream.on('data', (message: { list_services_response?: { service: { name: string }[] } }) => {
        resolve((message.list_services_response?.service ?? []).map((service) => service.name));
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ list_services: '' } as never);
    });
  }

  close(): void {
    this.inference.close();
    this.health.close();
    this.reflection.close();
  }

  private unary<T>(client: Client, method: string, request: object, metadata: Metadata): Promise<CallResult<T>> {
    return new Promise((resolve) => {
      let headers: Metadata | undefined;
      const call = client[method](request, metadata, (error: ServiceError | null, response: T) =>
        resolve(error ? { error, headers: error.metadata } : { response, headers }),
      ) as unknown as { on(event: 'metadata', listener: (metadata: Metadata) => void): void };
      call.on('metadata', (received) => (headers = received));
    });
  }
}
