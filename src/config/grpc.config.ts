import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { toInteger } from './env';

export class GrpcEnv {
  /** The gRPC (Open Inference Protocol) port; 0 serves no gRPC. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(65535)
  GRPC_PORT = 8001;

  /** Where gRPC listens; default: HOST. */
  @IsOptional()
  @IsString()
  GRPC_HOST?: string;

  /** PEM certificate chain file: with GRPC_TLS_KEY, gRPC is served over TLS. */
  @IsOptional()
  @IsString()
  GRPC_TLS_CERT?: string;

  /** PEM private key file of GRPC_TLS_CERT. */
  @IsOptional()
  @IsString()
  GRPC_TLS_KEY?: string;

  /** Largest gRPC message received, in bytes. */
  @Transform(toInteger)
  @IsInt()
  @Min(1024)
  GRPC_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
}

export interface GrpcConfig {
  /** 0: no gRPC server. */
  port: number;
  host?: string;
  tls?: { certFile: string; keyFile: string };
  maxMessageBytes: number;
}

export function toGrpcConfig(env: GrpcEnv, problems: string[]): GrpcConfig {
  if (Boolean(env.GRPC_TLS_CERT) !== Boolean(env.GRPC_TLS_KEY)) {
    problems.push('GRPC_TLS_CERT and GRPC_TLS_KEY: set both (TLS) or neither');
  }
  return {
    port: env.GRPC_PORT,
    host: env.GRPC_HOST,
    tls: env.GRPC_TLS_CERT && env.GRPC_TLS_KEY ? { certFile: env.GRPC_TLS_CERT, keyFile: env.GRPC_TLS_KEY } : undefined,
    maxMessageBytes: env.GRPC_MAX_MESSAGE_BYTES,
  };
}
