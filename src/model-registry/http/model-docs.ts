import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { TYPE_INFO } from '../runtime/datatypes';
import { ModelEntry, ModelRegistry } from '../model-registry.service';
import { ModelResolver } from '../model-resolver';
import { TensorSpec } from '../runtime/signature';
import { lifecycleState } from '../version-lifecycle';

type Schema = Record<string, unknown>;

const SECURITY: Record<string, string[]>[] = [{ oauth2: ['models:infer'] }, { apiKey: [] }];

/**
 * Per-model operations for the OpenAPI document, generated from each model's signature: the request
 * and response schemas of `/v1/models/<name>/predict` and `/v2/models/<name>/infer`, fixed dimensions
 * as minItems/maxItems, element types from the datatypes, and a valid example.
 */
@Injectable()
export class ModelDocsContributor {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly resolver: ModelResolver,
  ) {}

  private expiry?: NodeJS.Timeout;
  /** Called when a deprecation or sunset time passes: the document must be made again. */
  onExpiry: () => void = () => undefined;

  contribute(document: OpenAPIObject): void {
    this.scheduleExpiry();
    for (const entry of this.registry.list()) {
      const tag = `model: ${entry.name}`;
      let tagged = false;
      const addTag = () => {
        if (tagged) return;
        tagged = true;
        document.tags = [
          ...(document.tags ?? []),
          { name: tag, description: entry.config.description ?? `Model ${entry.name}` },
        ];
      };
      const number = this.resolver.defaultVersion(entry);
      const byDefault = number === undefined ? undefined : entry.versions.get(number);
      if (byDefault?.signature && byDefault.state === 'READY') {
        addTag();
        const lifecycle = lifecycleState(entry, byDefault.version);
        const { inputs, outputs } = byDefault.signature;
        document.paths[`/v1/models/${entry.name}/predict`] = {
          post: marked(this.predictOperation(entry, inputs, outputs, tag), lifecycle),
        };
        document.paths[`/v2/models/${entry.name}/infer`] = {
          post: marked(this.inferOperation(entry, inputs, outputs, tag), lifecycle),
        };
      }
      // Every version on its own (a caller may pin one): deprecated ones marked, retired ones left out.
      for (const version of [...entry.versions.values()].sort((a, b) => a.version - b.version)) {
        if (!version.signature || version.state !== 'READY') continue;
        const lifecycle = lifecycleState(entry, version.version);
        if (lifecycle.gone) continue;
        addTag();
        const { inputs, outputs } = version.signature;
        const at = `${entry.name}/versions/${version.version}`;
        document.paths[`/v1/models/${at}/predict`] = {
          post: marked(this.predictOperation(entry, inputs, outputs, tag, version.version), lifecycle),
        };
        document.paths[`/v2/models/${at}/infer`] = {
          post: marked(this.inferOperation(entry, inputs, outputs, tag, version.version), lifecycle),
        };
      }
    }
  }

  /** The document marks deprecated and leaves out retired versions: it changes when such a time passes. */
  private scheduleExpiry(): void {
    clearTimeout(this.expiry);
    const now = Date.now();
    const times = this.registry
      .list()
      .flatMap((entry) => Object.values(entry.config.versions ?? {}))
      .flatMap((lifecycle) => [lifecycle.deprecatedAt, lifecycle.sunsetAt])
      .map((time) => (time ? Date.parse(time) : NaN))
      .filter((time) => time > now);
    if (times.length === 0) return;
    // setTimeout takes at most 2^31-1 ms; a later time is scheduled again when this one fires.
    const delay = Math.min(Math.min(...times) - now + 1, 2_147_000_000);
    this.expiry = setTimeout(() => this.onExpiry(), delay);
    this.expiry.unref();
  }

  private predictOperation(
    entry: ModelEntry,
    inputs: TensorSpec[],
    outputs: TensorSpec[],
    tag: string,
    version?: number,
  ) {
    const labelled = Object.keys(entry.config.labels ?? {}).length > 0;
    return {
      operationId: `predict_${operationName(entry.name)}${version === undefined ? '' : `_v${version}`}`,
      summary: `Predict with ${entry.name} (${version === undefined ? 'default version' : `version ${version}`})`,
      description: entry.config.description,
      tags: [tag],
      security: SECURITY,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: predictRequestSchema(inputs),
            example: { inputs: Object.fromEntries(inputs.map((spec) => [spec.name, example(spec)])) },
          },
        },
      },
      responses: {
        '200': {
          description: 'The model outputs',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['model', 'version', 'outputs'],
                properties: {
                  model: { type: 'string' },
                  version: { type: 'string' },
                  outputs: objectOf(outputs),
                  ...(labelled
                    ? {
                        predictions: {
                          type: 'array',
                          items: {
                            type: 'object',
                            properties: { label: { type: 'string' }, score: { type: 'number' } },
                          },
                        },
                      }
                    : {}),
                },
              },
            },
          },
        },
        '400': { description: 'Invalid input (problem details name the input and the expected and received shape)' },
        '401': { description: 'Missing or invalid credentials' },
        '404': { description: 'Unknown model' },
        '410': { description: 'The version was retired (past its sunsetAt): model_version_sunset.' },
        '503': { description: 'Model not ready or queue full (Retry-After)' },
        '504': { description: 'The model did not answer within INFERENCE_TIMEOUT_MS.' },
      },
    };
  }

  private inferOperation(
    entry: ModelEntry,
    inputs: TensorSpec[],
    outputs: TensorSpec[],
    tag: string,
    version?: number,
  ) {
    const tensor = (specs: TensorSpec[]) => ({
      type: 'object',
      required: ['name', 'shape', 'datatype', 'data'],
      properties: {
        name: { type: 'string', enum: specs.map((spec) => spec.name) },
        shape: { type: 'array', items: { type: 'integer' } },
        datatype: { type: 'string', enum: [...new Set(specs.map((spec) => spec.datatype))] },
        data: { type: 'array', items: {} },
      },
    });
    return {
      operationId: `infer_${operationName(entry.name)}${version === undefined ? '' : `_v${version}`}`,
      summary: `Open Inference Protocol infer on ${entry.name} (${version === undefined ? 'default version' : `version ${version}`})`,
      tags: [tag],
      security: SECURITY,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['inputs'],
              properties: {
                id: { type: 'string' },
                inputs: { type: 'array', items: tensor(inputs), minItems: inputs.length, maxItems: inputs.length },
                outputs: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['name'],
                    properties: { name: { type: 'string', enum: outputs.map((spec) => spec.name) } },
                  },
                },
              },
            },
            example: {
              id: 'example-1',
              inputs: inputs.map((spec) => ({
                name: spec.name,
                shape: spec.shape.map((size) => (size === -1 ? 1 : size)),
                datatype: spec.datatype,
                data: [example(spec)].flat(Infinity),
              })),
            },
          },
        },
      },
      responses: {
        '200': {
          description: 'The model outputs',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  model_name: { type: 'string' },
                  model_version: { type: 'string' },
                  id: { type: 'string' },
                  outputs: { type: 'array', items: tensor(outputs) },
                },
              },
            },
          },
        },
        '400': { description: 'Invalid input: {"error": "..."}' },
        '404': { description: 'Unknown model' },
        '410': { description: 'The version was retired (past its sunsetAt): model_version_sunset.' },
        '503': { description: 'Model not ready or queue full' },
        '504': { description: 'The model did not answer within INFERENCE_TIMEOUT_MS.' },
      },
    };
  }
}

const LIFECYCLE_HEADERS = {
  Deprecation: {
    description: 'RFC 9745: when the version was (or will be) deprecated, `@<unix seconds>`.',
    schema: { type: 'string' },
  },
  Sunset: { description: 'RFC 8594: when the version stops answering (an HTTP-date).', schema: { type: 'string' } },
  Link: { description: 'Includes `<...>; rel="sunset"`: where to read about the sunset.', schema: { type: 'string' } },
};

/** A deprecated version's operation: `deprecated`, and its 200 with the deprecation headers. */
function marked<T extends { responses: Record<string, object> }>(
  operation: T,
  lifecycle: { deprecated: boolean },
): T & { deprecated?: boolean } {
  if (!lifecycle.deprecated) return operation;
  return {
    ...operation,
    deprecated: true,
    responses: {
      ...operation.responses,
      '200': { ...operation.responses['200'], headers: LIFECYCLE_HEADERS },
    },
  };
}

function operationName(name: string): string {
  return name.replace(/[^a-zA-Z0-9]/g, '_');
}

/**
 * The two `/v1` body forms (docs/API.md): `{"inputs": {name: tensor}}` for any model, and for a single-input
 * model `{"instances": [row, ...]}`, the input's tensor itself.
 */
function predictRequestSchema(inputs: TensorSpec[]): Schema {
  const named = {
    type: 'object',
    required: ['inputs'],
    additionalProperties: false,
    properties: { inputs: objectOf(inputs) },
  };
  if (inputs.length !== 1) return named;
  const instances = {
    type: 'object',
    required: ['instances'],
    additionalProperties: false,
    properties: { instances: tensorSchema(inputs[0]) },
  };
  return { oneOf: [named, instances] };
}

function objectOf(specs: TensorSpec[]): Schema {
  return {
    type: 'object',
    required: specs.map((spec) => spec.name),
    properties: Object.fromEntries(specs.map((spec) => [spec.name, tensorSchema(spec)])),
  };
}

/** Nested arrays of the tensor's shape: fixed dimensions become minItems/maxItems. */
export function tensorSchema(spec: TensorSpec): Schema {
  const info = TYPE_INFO[spec.datatype];
  let schema: Schema =
    info.kind === 'float'
      ? { type: 'number' }
      : info.kind === 'integer' || info.kind === 'bigint'
        ? { type: 'integer', ...(info.kind === 'integer' ? { minimum: info.min, maximum: info.max } : {}) }
        : info.kind === 'bool'
          ? { type: 'boolean' }
          : { type: 'string' };
  for (let axis = spec.shape.length - 1; axis >= 0; axis--) {
    const size = spec.shape[axis];
    schema = { type: 'array', items: schema, ...(size === -1 ? { minItems: 1 } : { minItems: size, maxItems: size }) };
  }
  return { ...schema, description: `${spec.datatype} ${JSON.stringify(spec.shape)} (-1 = any size)` };
}

/** A valid value for the tensor: batch 1 for variable dimensions. */
function example(spec: TensorSpec): unknown {
  const kind = TYPE_INFO[spec.datatype].kind;
  const leaf = kind === 'float' ? 0.5 : kind === 'bool' ? true : kind === 'string' ? 'Hello' : 1;
  let value: unknown = leaf;
  for (let axis = spec.shape.length - 1; axis >= 0; axis--) {
    const size = spec.shape[axis] === -1 ? 1 : spec.shape[axis];
    value = Array.from({ length: size }, () => structuredClone(value));
  }
  return value;
}
