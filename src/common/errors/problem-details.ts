import { ErrorContext, ErrorFormat, registerErrorFormat } from './error-format';
import { titleOf } from './http-status';
import type { NormalizedError } from './normalize-error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details as `/v1`, the admin API and everything outside `/v2` and `/oauth` answer. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  errors?: { field: string; message: string }[];
}

export function problemType(code: string): string {
  return `urn:modelgate:problem:${code}`;
}

/**
 * Problem details for an error. `instance` is the path of the request a route served; an error raised
 * before routing has none (its URL is the client's text, not echoed back) and names the request id.
 */
export function problemBody(error: NormalizedError, context: ErrorContext): ProblemDetails {
  return {
    type: problemType(error.code),
    title: titleOf(error.status),
    status: error.status,
    detail: error.detail,
    instance: context.instance ?? `urn:modelgate:request:${context.requestId}`,
    code: error.code,
    requestId: context.requestId,
    ...(error.options.errors?.length ? { errors: error.options.errors } : {}),
  };
}

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details (`/v1`, the admin API, health and docs).',
  required: ['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId'],
  properties: {
    type: { type: 'string', description: '`urn:modelgate:problem:<code>`' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: {
      type: 'string',
      description: 'The path of the request, or `urn:modelgate:request:<requestId>` when no route served it.',
    },
    code: { type: 'string', description: 'Stable, machine-readable: `model_not_found`, `rate_limited`, ...' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      description: 'Field-level validation failures.',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

/** The default format: every path no protocol module claims. */
export const PROBLEM_DETAILS_FORMAT: ErrorFormat = {
  name: 'problem',
  prefixes: [],
  render: (error, context) => ({
    status: error.status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE },
    body: problemBody(error, context),
  }),
  openApi: {
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
    schemas: { ProblemDetails: PROBLEM_SCHEMA },
  },
};

registerErrorFormat(PROBLEM_DETAILS_FORMAT);
