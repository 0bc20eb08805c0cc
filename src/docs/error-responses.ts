import type { OpenAPIObject } from '@nestjs/swagger';
import { errorFormatOf } from '../common/errors/error-format';

type Operation = {
  security?: Record<string, string[]>[];
  requestBody?: unknown;
  responses: Record<
    string,
    { description?: string; content?: Record<string, unknown>; headers?: Record<string, unknown> }
  >;
  [key: string]: unknown;
};

const DESCRIPTIONS: Record<string, string> = {
  '400': 'The request is invalid: a parameter, the body, a NUL byte or unpaired surrogate, nesting past 64 levels.',
  '401': 'Missing, malformed, unknown, expired or revoked credentials.',
  '403': 'The credential lacks a scope this operation needs, or the operation is beyond what it holds.',
  '404': 'No such resource, or the caller may not see it.',
  '409': 'The resource is in a state that does not allow this.',
  '410': 'The model version was retired (past its sunsetAt).',
  '413': 'The body is over the limit.',
  '414': 'A path segment is longer than 100 characters.',
  '415': 'The body is not of the media type this operation takes.',
  '429': 'A rate limit or the monthly quota is used up (see Retry-After and RateLimit).',
  '431': 'The request headers are too large.',
  '503':
    'Not available now (the database is unreachable, the model is not ready or its queue is full); see Retry-After.',
  '504': 'The model did not answer in time.',
};

const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } },
};
const CHALLENGE = {
  'WWW-Authenticate': { description: 'The RFC 6750 (Bearer) or Basic challenge.', schema: { type: 'string' } },
};

/** The statuses an operation can answer besides its own, from how the platform treats every request. */
function statusesOf(path: string, method: string, operation: Operation): string[] {
  const statuses = ['400', '431']; // any query or header can be refused; headers can be too large
  const hasParams = path.includes('{');
  if (hasParams) statuses.push('404', '414');
  if (operation.requestBody) statuses.push('413', ...(path.startsWith('/oauth/') ? [] : ['415']));
  const secured = (operation.security?.length ?? 0) > 0;
  if (secured) statuses.push('401', '403', '429', '503');
  if (path.startsWith('/oauth/')) {
    // Client authentication (401 invalid_client), the lockout (429), the database (503); introspection and
    // revocation also take an admin credential short of clients:manage (403).
    statuses.push('401', '429', '503', ...(path === '/oauth/token' ? [] : ['403']));
  }
  if (method === 'get' && path === '/health/ready') statuses.push('503');
  return statuses;
}

/**
 * OpenAPI 3.0.3 §4.7.25: `nullable` adds null only to the `type` beside it, so `{nullable, allOf: [$ref]}`
 * (what the Swagger plugin writes for `Dto | null`) still refuses null. Rewritten as `anyOf` of the
 * reference and a schema of null alone, which validators and client generators read as `Dto | null`.
 */
function nullableReferences(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(nullableReferences);
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Record<string, unknown>;
  if (schema.nullable === true && Array.isArray(schema.allOf) && schema.allOf.length === 1) {
    schema.anyOf = [schema.allOf[0], { type: 'object', nullable: true, enum: [null] }];
    delete schema.allOf;
    delete schema.nullable;
    delete schema.type;
  }
  Object.values(schema).forEach(nullableReferences);
}

/**
 * Request bodies of `/v1` and the admin API are validated with unknown fields refused (400): their
 * schemas say so (`additionalProperties: false`), down through the DTOs they reference.
 */
function closeRequestSchemas(document: OpenAPIObject): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Record<string, unknown>>;
  const close = (ref: unknown, seen: Set<string>) => {
    const name = typeof ref === 'string' ? ref.replace('#/components/schemas/', '') : undefined;
    const schema = name ? schemas[name] : undefined;
    if (!name || !schema || seen.has(name) || schema.type !== 'object') return;
    seen.add(name);
    schema.additionalProperties ??= false;
    for (const property of Object.values((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      close(property.$ref, seen);
      for (const part of (property.allOf ?? []) as Record<string, unknown>[]) close(part.$ref, seen);
    }
  };
  const seen = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    if (errorFormatOf(path).name !== 'problem') continue;
    for (const operation of Object.values(item) as {
      requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
    }[]) {
      close(operation?.requestBody?.content?.['application/json']?.schema?.$ref, seen);
    }
  }
}

/**
 * Makes the document tell every status each operation can return, each with its body schema (docs/API.md,
 * "Every response, every surface"): the errors every request may meet (bad input, headers too large,
 * path segments too long, authentication, limits, the database) are added where they apply, and an
 * error response without a body schema gets its surface's: problem details, `{error}` on `/v2`, RFC
 * 6749 on `/oauth`. Run on the finished document, after every contributor.
 */
export function completeErrorResponses(document: OpenAPIObject): void {
  document.components ??= {};
  const schemas = Object.assign(
    {},
    ...Object.keys(document.paths).map((path) => errorFormatOf(path).openApi.schemas),
  ) as NonNullable<OpenAPIObject['components']>['schemas'];
  document.components.schemas = { ...document.components.schemas, ...schemas };
  closeRequestSchemas(document);
  nullableReferences(document.components.schemas);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, value] of Object.entries(item)) {
      if (!['get', 'put', 'post', 'patch', 'delete'].includes(method)) continue;
      const operation = value as Operation;
      const format = errorFormatOf(path);
      for (const status of statusesOf(path, method, operation)) {
        operation.responses[status] ??= { description: DESCRIPTIONS[status] ?? 'Error' };
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!/^[45]/.test(status)) continue;
        response.description ||= DESCRIPTIONS[status] ?? 'Error';
        if (!response.content) response.content = structuredClone(format.openApi.content);
        if (status === '429' || status === '503') response.headers = { ...RETRY_AFTER, ...response.headers };
        if (status === '401' || status === '403') response.headers = { ...CHALLENGE, ...response.headers };
      }
    }
  }
}
