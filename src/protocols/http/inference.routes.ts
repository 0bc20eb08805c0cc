import { Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CallContext, usageContext } from '../../common/request-context';
import { DataPlane } from '../../data-plane/data-plane.service';
import { Principal } from '../../identity/principal';
import { Scope } from '../../identity/scopes';
import { PredictService } from '../v1/predict.service';
import { OipService } from '../v2/oip.service';

interface InferenceParams {
  name: string;
  version?: string;
}

type Handler = (call: CallContext, principal: Principal, params: InferenceParams, body: unknown) => Promise<unknown>;

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
  ) {}

  register(fastify: FastifyInstance): void {
    const predict: Handler = (call, principal, { name, version }, body) =>
      this.predictions.predict(call, principal, name, version, body);
    const infer: Handler = (call, principal, { name, version }, body) =>
      this.oip.infer(call, principal, name, version, body);
    this.route(fastify, INFERENCE_PATHS.predict, predict);
    this.route(fastify, INFERENCE_PATHS.predictVersion, predict);
    this.route(fastify, INFERENCE_PATHS.infer, infer);
    this.route(fastify, INFERENCE_PATHS.inferVersion, infer);
  }

  private route(fastify: FastifyInstance, url: string, handler: Handler): void {
    fastify.post(url, async (request: FastifyRequest, reply: FastifyReply) => {
      // Set before the scope check, so that a 403 is metered to its principal.
      request.principal = await this.plane.authenticate(request.headers);
      const principal = this.plane.authorize(request.principal, SCOPES);
      const limits = this.plane.limit(principal);
      void reply.headers(limits instanceof Promise ? await limits : limits);
      return handler(usageContext(request), principal, request.params as InferenceParams, request.body);
    });
  }
}
