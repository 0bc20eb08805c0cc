import type { OpenAPIObject } from '@nestjs/swagger';
import { OipInferRequestDto, OipInferResponseDto } from '../v2/oip.dto';
import { PredictRequestDto, PredictResponseDto } from '../v1/predict.dto';

/** The DTOs the inference routes are documented with (added to the document's schemas). */
export const INFERENCE_MODELS = [PredictRequestDto, PredictResponseDto, OipInferRequestDto, OipInferResponseDto];

const SECURITY = [{ oauth2: ['models:infer'] }, { apiKey: [] }, { session: [] }];

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

/**
 * The binary form of `/v2` infer bodies (Triton's binary tensor data extension): the JSON, then each
 * binary tensor's bytes; `Inference-Header-Content-Length` gives the JSON's length. Added to an
 * operation's request and 200 response.
 */
export const OIP_BINARY = {
  'application/octet-stream': {
    schema: {
      type: 'string',
      format: 'binary',
      description:
        'The JSON inference request (or response), then the bytes of each tensor whose parameters give binary_data_size, in order; Inference-Header-Content-Length is the length of the JSON.',
    },
  },
};

export const INFERENCE_HEADER_PARAMETER = {
  name: 'Inference-Header-Content-Length',
  in: 'header',
  required: false,
  description: 'With a binary body: the length in bytes of its JSON part (binary tensor data extension).',
  schema: { type: 'integer', minimum: 1 },
};

interface OperationLike {
  parameters?: object[];
  requestBody: { content: object };
  responses: Record<string, { description?: string; content?: object }>;
}

function withBinary<T extends OperationLike>(operation: T): T {
  return {
    ...operation,
    parameters: [...(operation.parameters ?? []), INFERENCE_HEADER_PARAMETER],
    requestBody: { ...operation.requestBody, content: { ...operation.requestBody.content, ...OIP_BINARY } },
    responses: {
      ...operation.responses,
      '200': { ...operation.responses['200'], content: { ...operation.responses['200'].content, ...OIP_BINARY } },
    },
  };
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
      '410': { description: 'The version was retired (its sunsetAt has passed): code model_version_sunset.' },
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
  // Each model's own /v2 operation (from the model registry's contributor) takes binary bodies too.
  for (const [path, item] of Object.entries(document.paths)) {
    if (/^\/v2\/models\/[^/{]+(\/versions\/[^/{]+)?\/infer$/.test(path) && item.post)
      item.post = withBinary(item.post as never);
  }
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
      post: withBinary(
        operation(
          'infer',
          'Open Inference Protocol inference',
          v2,
          [NAME],
          'OipInferRequestDto',
          'OipInferResponseDto',
        ),
      ),
    },
    '/v2/models/{name}/versions/{version}/infer': {
      post: withBinary(
        operation(
          'inferVersion',
          'Open Inference Protocol inference on a given version',
          v2,
          [NAME, VERSION],
          'OipInferRequestDto',
          'OipInferResponseDto',
        ),
      ),
    },
  });
}
