import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CallContext, usageContext } from '../../common/request-context';
import { DataPlane } from '../../data-plane/data-plane.service';
import { Principal } from '../../identity/principal';
import { Configuration } from '../../config/configuration';
import { Scope } from '../../identity/scopes';
import { PredictService } from '../v1/predict.service';
import { encodeResponse, INFERENCE_HEADER_LENGTH, parseBinaryRequest, parseJsonRequest } from '../v2/oip-rest';
import { OipService } from '../v2/oip.service';

interface InferenceParams {
  name: string;
  version?: string;
}

type Handler = (
  call: CallContext,
  principal: Principal,
  params: InferenceParams,
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<unknown>;

const SCOPES = [Scope.ModelsInfer];

/** The inference routes' URLs (inference-hooks.ts adds their timing and successor headers). */
export const INFERENCE_PATHS = {
  predict: '/v1/models/:name/predict',
  predictVersion: '/v1/models/:name/versions/:version/predict',
  infer: '/v2/models/:name/infer',
  inferVersion: '/v2/models/:name/versions/:version/infer',
} as const;

/**
 * The REST adapters of inference: Fastify routes that hand the call to the data plane (authentication,
 * scopes, limits) and the protocol's codec (`/v1` predict, `/v2` infer), then answer with what they
 * return. Served by Fastify directly rather than through NestJS's per-request pipeline (execution
 * contexts, guard and interceptor chains, response mapping), which `npm run bench` measured at about a
 * fifth of a small model's request. Errors go through the global error handler (each surface's format);
 * metering, metrics, CORS and the timing headers are Fastify hooks, as for every route. Documented by
 * inference.docs.ts.
 */
@Injectable()
export class InferenceRoutes {
  constructor(
    private readonly plane: DataPlane,
    private readonly predictions: PredictService,
    private readonly oip: OipService,
    private readonly config: ConfigService<Configuration, true>,
  ) {}

  register(fastify: FastifyInstance): void {
    const predict: Handler = (call, principal, { name, version }, request) =>
      this.predictions.predict(call, principal, name, version, request.body);
    const infer: Handler = (call, principal, params, request, reply) =>
      this.infer(call, principal, params, request, reply);
    this.route(fastify, INFERENCE_PATHS.predict, predict);
    this.route(fastify, INFERENCE_PATHS.predictVersion, predict);
    this.route(fastify, INFERENCE_PATHS.infer, infer);
    this.route(fastify, INFERENCE_PATHS.inferVersion, infer);
  }

  /**
   * `/v2/.../infer`: a JSON body, or with Inference-Header-Content-Length a JSON part followed by binary
   * tensor data (Triton's extension, tritonclient's default); outputs asked for in binary form come back
   * the same way.
   */
  private async infer(
    call: CallContext,
    principal: Principal,
    { name, version }: InferenceParams,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<unknown> {
    const ready = this.oip.readyVersion(call, principal, name, version);
    const headerLength = request.headers[INFERENCE_HEADER_LENGTH];
    const body = request.body;
    const parsed = Buffer.isBuffer(body)
      ? parseBinaryRequest(body, typeof headerLength === 'string' ? headerLength : String(body.length))
      : parseJsonRequest(body);
    const encoded = encodeResponse(await this.oip.infer(call, ready, parsed));
    if (!encoded.binary) return encoded.json;
    void reply.header('Inference-Header-Content-Length', encoded.headerLength).type('application/octet-stream');
    return encoded.binary;
  }

  private route(fastify: FastifyInstance, url: string, handler: Handler): void {
    // A binary body of a /v2 request is limited like a JSON one (the octet-stream parser is set for uploads).
    const bodyLimit = this.config.get('app', { infer: true }).bodyLimitBytes;
    fastify.post(url, { bodyLimit }, async (request: FastifyRequest, reply: FastifyReply) => {
      // Set before the scope check, so that a 403 is metered to its principal.
      request.principal = await this.plane.authenticate(request.headers, request.method);
      const principal = this.plane.authorize(request.principal, SCOPES);
      const limits = this.plane.limit(principal);
      void reply.headers(limits instanceof Promise ? await limits : limits);
      return handler(usageContext(request), principal, request.params as InferenceParams, request, reply);
    });
  }
}
