import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Tensor } from 'onnxruntime-node';
import { authorize, CredentialHeaders, RequestAuthenticator } from '../auth/request-authenticator';
import { DomainError } from '../common/errors/domain.error';
import { CallContext } from '../common/request-context';
import { Configuration } from '../config/configuration';
import { Principal } from '../identity/principal';
import { Scope } from '../identity/scopes';
import { ModelEntry, ModelRegistry } from '../model-registry/model-registry.service';
import { admitted, RateLimiterService } from '../rate-limit/rate-limiter.service';
import { rowsOf } from '../model-registry/runtime/batcher';
import { ModelResolver } from '../model-registry/model-resolver';
import { ModelVersion, RunResult } from '../model-registry/runtime/model-version';
import { ModelErrorCode } from '../model-registry/model.errors';
import { TensorSpec } from '../model-registry/runtime/signature';
import { ShadowRunner } from '../model-registry/shadow/shadow-runner.service';
import { lifecycleOf } from '../model-registry/version-lifecycle';

const NOT_READY_RETRY_SECONDS = 5;

/**
 * The data plane: what every way into the platform does, whatever its protocol (KServe's
 * `dataplane.py` is the model). It takes plain values, never a transport's objects: credentials from a
 * header map, limits as a decision with the fields to send, the call's usage context (a plain object the
 * protocol meters afterwards), errors as DomainErrors each protocol renders in its own format. The REST
 * adapters (`/v1` predict, `/v2` infer: protocols/) are thin layers over it; docs/ARCHITECTURE.md says
 * how a new protocol plugs in.
 */
@Injectable()
export class DataPlane {
  constructor(
    private readonly authenticator: RequestAuthenticator,
    private readonly limiter: RateLimiterService,
    private readonly resolver: ModelResolver,
    private readonly registry: ModelRegistry,
    private readonly config: ConfigService<Configuration, true>,
    private readonly shadows: ShadowRunner,
  ) {}

  /**
   * The principal a call's credentials stand for, or undefined when it sends none (401 for a bad one).
   * `method`: an HTTP call's (a session cookie on a POST needs its CSRF token); other protocols send no cookie.
   */
  authenticate(headers: CredentialHeaders, method?: string): Promise<Principal | undefined> {
    return this.authenticator.authenticate(headers, { method });
  }

  /** The principal, which must hold `scopes` (401 without one, 403 short of a scope). */
  authorize(principal: Principal | undefined, scopes: readonly Scope[]): Principal {
    return authorize(principal, scopes);
  }

  /**
   * Counts the call against the principal's rate limit and quota: the limit fields to send (synchronous
   * while this instance holds leased points, the usual case), or the 429 thrown.
   */
  limit(principal: Principal): Record<string, string> | Promise<Record<string, string>> {
    const decision = this.limiter.check(principal);
    return decision instanceof Promise ? decision.then(admitted) : admitted(decision);
  }

  /** Whether the server has finished its first scan of the model repository. */
  get serverReady(): boolean {
    return this.registry.initialScanDone;
  }

  /** A model the principal may see (404 otherwise). */
  model(principal: Principal, name: string): ModelEntry {
    return this.resolver.model(principal, name);
  }

  /** A version the principal may see, in whatever state (404 otherwise). */
  version(principal: Principal, name: string, reference?: string): ModelVersion {
    return this.resolver.version(principal, name, reference);
  }

  get maxTensorElements(): number {
    return this.config.get('models', { infer: true }).maxTensorElements;
  }

  /**
   * The version to run, READY, with the call's usage context naming it and carrying its deprecation
   * headers (410 after its sunset). A default-routed call of a model with a shadow is picked for
   * mirroring with the shadow's share: `run` then leaves the shadow job for after the response.
   */
  readyVersion(call: CallContext, principal: Principal, name: string, reference?: string): ModelVersion {
    const entry = this.resolver.model(principal, name);
    const version = this.resolver.versionIn(entry, principal, reference);
    call.model = version.model;
    call.version = String(version.version);
    if (entry.config.versions) call.versionHeaders = lifecycleOf(entry, version.version);
    const shadow = entry.config.shadow;
    if (shadow && reference === undefined && shadow.version !== version.version && Math.random() * 100 < shadow.percent)
      call.shadowVersion = shadow.version;
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
    call: CallContext,
    version: ModelVersion,
    feeds: Record<string, Tensor>,
    outputNames?: string[],
  ): Promise<RunResult> {
    if (version.batchable) assertSameBatch(feeds);
    // A mirrored call keeps a copy of its inputs: a run in a worker thread takes the buffers it is given.
    const shadowFeeds = call.shadowVersion === undefined ? undefined : copyTensors(feeds);
    const result = await version.run(feeds, outputNames);
    call.queueMs = result.queueMs;
    call.inferMs = result.inferMs;
    call.cached = result.cached;
    call.batchItems = rowsOf(feeds);
    const shadowVersion = call.shadowVersion;
    if (shadowVersion !== undefined && shadowFeeds) {
      const job = {
        model: version.model,
        primaryVersion: version.version,
        shadowVersion,
        feeds: shadowFeeds,
        outputNames,
        primaryOutputs: result.outputs,
        primaryMs: result.queueMs + result.inferMs,
      };
      call.afterResponse = () => this.shadows.submit(job);
    }
    return result;
  }
}

function copyTensors(feeds: Record<string, Tensor>): Record<string, Tensor> {
  const copies: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(feeds)) {
    copies[name] = new Tensor(tensor.type, (tensor.data as Float32Array).slice(), tensor.dims);
  }
  return copies;
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
