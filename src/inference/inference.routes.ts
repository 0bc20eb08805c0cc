import { Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Principal } from '../auth/principal';
import { RequestAuthenticator } from '../auth/request-authenticator';
import { Scope } from '../auth/scopes';
import { enforceDecision } from '../rate-limit/rate-limit.guard';
import { RateLimiterService } from '../rate-limit/rate-limiter.service';
import { OipService } from './oip.service';
import { PredictService } from './predict.service';

interface InferenceParams {
  name: string;
  version?: string;
}

type Handler = (request: FastifyRequest, principal: Principal, params: InferenceParams) => Promise<unknown>;

const SCOPES = [Scope.ModelsInfer];

/** The inference routes' URLs (inference-hooks.ts adds their timing and successor headers). */
export const INFERENCE_PATHS = {
  predict: '/v1/models/:name/predict',
  predictVersion: '/v1/models/:name/versions/:version/predict',
  infer: '/v2/models/:name/infer',
  inferVersion: '/v2/models/:name/versions/:version/infer',
} as const;

/**
 * The inference routes, served by Fastify directly rather than through NestJS's per-request pipeline
 * (execution contexts, guard and interceptor chains, response mapping), which `npm run bench` measured
 * at about a fifth of a small model's request. They do what that pipeline does for the other routes,
 * with the same services: authentication and scopes as the global guard, the rate limits as the limit
 * guard, and errors through the global error handler (problem details on `/v1`, the Open Inference
 * Protocol's `{ error }` on `/v2`). Usage metering, metrics, CORS and the timing headers are Fastify
 * hooks and apply as to every route. Documented by inference.docs.ts.
 */
@Injectable()
export class InferenceRoutes {
  constructor(
    private readonly authenticator: RequestAuthenticator,
    private readonly limiter: RateLimiterService,
    private readonly predictions: PredictService,
    private readonly oip: OipService,
  ) {}

  register(fastify: FastifyInstance): void {
    const predict: Handler = (request, principal, { name, version }) =>
      this.predictions.predict(request, principal, name, version, request.body);
    const infer: Handler = (request, principal, { name, version }) =>
      this.oip.infer(request, principal, name, version, request.body);
    this.route(fastify, INFERENCE_PATHS.predict, predict);
    this.route(fastify, INFERENCE_PATHS.predictVersion, predict);
    this.route(fastify, INFERENCE_PATHS.infer, infer);
    this.route(fastify, INFERENCE_PATHS.inferVersion, infer);
  }

  private route(fastify: FastifyInstance, url: string, handler: Handler): void {
    fastify.post(url, async (request: FastifyRequest, reply: FastifyReply) => {
      const principal = await this.authenticator.require(request, SCOPES);
      const decision = this.limiter.check(principal);
      enforceDecision(decision instanceof Promise ? await decision : decision, reply);
      return handler(request, principal, request.params as InferenceParams);
    });
  }
}
