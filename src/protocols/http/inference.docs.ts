import type { OpenAPIObject } from '@nestjs/swagger';
import { OipInferRequestDto, OipInferResponseDto } from '../v2/oip.dto';
import { PredictRequestDto, PredictResponseDto } from '../v1/predict.dto';

/** The DTOs the inference routes are documented with (added to the document's schemas). */
export const INFERENCE_MODELS = [PredictRequestDto, PredictResponseDto, OipInferRequestDto, OipInferResponseDto];

const SECURITY = [{ oauth2: ['models:infer'] }, { apiKey: [] }];

const NAME = { name: 'name', in: 'path', required: true, description: 'The model', schema: { type: 'string' } };
const VERSION = {
  name: 'version',
  in: 'path',
  required: true,
  description: 'A version number, `latest` or an alias',
  schema: { type: 'string' },
};

function json(schema: string, description = '') {
  return { description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } } };
}

function operation(
  operationId: string,
  summary: string,
  tag: string,
  parameters: object[],
  request: string,
  response: string,
) {
  return {
    operationId,
    summary,
    tags: [tag],
    security: SECURITY,
    parameters,
    requestBody: { required: true, ...json(request) },
    responses: {
      '200': json(response, 'The model outputs'),
      '400': { description: 'The inputs do not fit the model (the answer names the input and the expected shape).' },
      '401': { description: 'Missing, malformed, unknown, expired or revoked credentials.' },
      '403': { description: 'Requires scope models:infer.' },
      '404': { description: 'No such model or version, or the caller may not see it.' },
      '429': { description: 'A rate limit or the monthly quota is used up (see Retry-After and RateLimit).' },
      '503': { description: 'The model is not ready or its queue is full (see Retry-After).' },
      '504': { description: 'The model did not answer within INFERENCE_TIMEOUT_MS.' },
    },
  };
}

/**
 * The generic inference operations. The routes are plain Fastify routes (inference.routes.ts), so
 * the document gets them from here rather than from controller decorators; the operations of each
 * model, with its own schemas, come from the model registry's contributor.
 */
export function contributeInferenceOperations(document: OpenAPIObject): void {
  // Exactly one of the two forms (the class lists both as optional fields).
  document.components!.schemas!.PredictRequestDto = {
    description: 'Exactly one of `inputs` or `instances` (the latter only for single-input models).',
    oneOf: [
      {
        type: 'object',
        required: ['inputs'],
        additionalProperties: false,
        properties: {
          inputs: {
            type: 'object',
            description: 'One entry per model input: a nested array, row-major, whose shape matches the signature.',
            additionalProperties: { type: 'array', items: {} },
          },
        },
      },
      {
        type: 'object',
        required: ['instances'],
        additionalProperties: false,
        properties: {
          instances: {
            type: 'array',
            minItems: 1,
            description: 'Rows of a single-input model, one per batch item.',
            items: {},
          },
        },
      },
    ],
  };
  const v1 = 'inference';
  const v2 = 'open inference protocol (v2)';
  Object.assign(document.paths, {
    '/v1/models/{name}/predict': {
      post: operation(
        'predict',
        "Run the model's default version.",
        v1,
        [NAME],
        'PredictRequestDto',
        'PredictResponseDto',
      ),
    },
    '/v1/models/{name}/versions/{version}/predict': {
      post: operation(
        'predictVersion',
        'Run a given version (a number, `latest` or an alias).',
        v1,
        [NAME, VERSION],
        'PredictRequestDto',
        'PredictResponseDto',
      ),
    },
    '/v2/models/{name}/infer': {
      post: operation(
        'infer',
        'Open Inference Protocol inference',
        v2,
        [NAME],
        'OipInferRequestDto',
        'OipInferResponseDto',
      ),
    },
    '/v2/models/{name}/versions/{version}/infer': {
      post: operation(
        'inferVersion',
        'Open Inference Protocol inference on a given version',
        v2,
        [NAME, VERSION],
        'OipInferRequestDto',
        'OipInferResponseDto',
      ),
    },
  });
}
