import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { Tensor } from 'onnxruntime-node';
import { Principal } from '../auth/principal';
import { DomainError } from '../common/errors/domain.error';
import { usageContext } from '../common/request-context';
import { Configuration } from '../config/configuration';
import { rowsOf } from '../model-registry/batcher';
import { ModelResolver } from '../model-registry/model-resolver';
import { ModelVersion, RunResult } from '../model-registry/model-version';
import { ModelErrorCode } from '../model-registry/model.errors';
import { TensorSpec } from '../model-registry/signature';

const NOT_READY_RETRY_SECONDS = 5;

/** Resolves a model version, runs it, and records what the usage pipeline and Server-Timing need. */
@Injectable()
export class InferenceService {
  constructor(
    private readonly resolver: ModelResolver,
    private readonly config: ConfigService<Configuration, true>,
  ) {}

  get maxTensorElements(): number {
    return this.config.get('models', { infer: true }).maxTensorElements;
  }

  /** The version to run, READY, with the request's usage context naming it. */
  readyVersion(request: FastifyRequest, principal: Principal, name: string, reference?: string): ModelVersion {
    const version = this.resolver.version(principal, name, reference);
    const usage = usageContext(request);
    usage.model = version.model;
    usage.version = String(version.version);
    if (version.state !== 'READY' || !version.signature) {
      throw new DomainError(
        ModelErrorCode.ModelNotReady,
        `Model ${name} version ${version.version} is ${version.state}.`,
        {
          retryAfterSeconds: NOT_READY_RETRY_SECONDS,
        },
      );
    }
    return version;
  }

  /** Checks that the request names exactly the model's inputs. */
  assertInputNames(version: ModelVersion, names: string[]): void {
    const inputs = version.signature!.inputs;
    const unknown = names.filter((name) => !inputs.some((input) => input.name === name));
    if (unknown.length > 0) {
      throw new DomainError(
        ModelErrorCode.UnknownInput,
        `Unknown input ${unknown.map((name) => `"${name.slice(0, 64)}"`).join(', ')}; the model takes ${describeInputs(inputs)}.`,
      );
    }
    const missing = inputs.filter((input) => !names.includes(input.name));
    if (missing.length > 0) {
      throw new DomainError(
        ModelErrorCode.MissingInput,
        `Missing input ${missing.map((input) => `"${input.name}"`).join(', ')}; the model takes ${describeInputs(inputs)}.`,
      );
    }
  }

  async run(
    request: FastifyRequest,
    version: ModelVersion,
    feeds: Record<string, Tensor>,
    outputNames?: string[],
  ): Promise<RunResult> {
    if (version.batchable) assertSameBatch(feeds);
    const result = await version.run(feeds, outputNames);
    const usage = usageContext(request);
    usage.queueMs = result.queueMs;
    usage.inferMs = result.inferMs;
    usage.cached = result.cached;
    usage.batchItems = rowsOf(feeds);
    return result;
  }
}

/** Inputs of one request must agree on the batch (first) dimension. */
function assertSameBatch(feeds: Record<string, Tensor>): void {
  const sizes = Object.entries(feeds).map(([name, tensor]) => [name, Number(tensor.dims[0])] as const);
  if (sizes.length > 1 && sizes.some(([, size]) => size !== sizes[0][1])) {
    throw new DomainError(
      ModelErrorCode.InvalidInputShape,
      `Inputs disagree on the batch size: ${sizes.map(([name, size]) => `"${name}" has ${size} rows`).join(', ')}.`,
    );
  }
}

export function describeInputs(inputs: TensorSpec[]): string {
  return inputs.map((input) => `"${input.name}" (${input.datatype} [${input.shape.join(', ')}])`).join(', ');
}
