import type { FastifyRequest } from 'fastify';

/** The path parameters of the inference routes. */
export interface InferenceParams {
  name: string;
  version?: string;
}

/**
 * The inference handlers take the bare request and read what they need from it: every `@Param`,
 * `@Body` or custom parameter runs through the global pipes on its own promise, which on the hot path
 * costs a small model's request a noticeable share of its time. Their parameters are documented with
 * `@ApiParam` instead.
 */
export function inferenceParams(request: FastifyRequest): InferenceParams {
  return request.params as InferenceParams;
}
